--[[
  dead-letter.lua: add a dead letter once per source entry. An index in the dead-letter stream's
  own hash slot maps each source entry id to its dead letter, so a listener killed between this
  step and its XACK adds nothing the second time (the source stream may live on another node).

  KEYS[1]  the dead-letter stream
  KEYS[2]  its index, <dead>:sources{<dead>} (hash: source entry id -> dead-letter id)
  ARGV[1]  the source entry id
  ARGV[2]  cap of the dead-letter stream (MAXLEN ~)
  ARGV[3..] field, value, field, value… of the record

  Returns { dead-letter id, 1 when added now or 0 when it was there already }.
]]
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  return { existing, 0 }
end
local fields = {}
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
redis.call('HSET', KEYS[2], ARGV[1], id)
-- The index follows the stream's cap: entries of letters the cap removed are dropped in bulk.
if redis.call('HLEN', KEYS[2]) > 2 * tonumber(ARGV[2]) + 100 then
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if first then
    local cursor = '0'
    repeat
      local page = redis.call('HSCAN', KEYS[2], cursor, 'COUNT', 1000)
      cursor = page[1]
      local kv = page[2]
      for i = 1, #kv, 2 do
        local a1, a2 = string.match(kv[i + 1], '^(%d+)-(%d+)$')
        local b1, b2 = string.match(first[1], '^(%d+)-(%d+)$')
        if tonumber(a1) < tonumber(b1) or (tonumber(a1) == tonumber(b1) and tonumber(a2) < tonumber(b2)) then
          redis.call('HDEL', KEYS[2], kv[i])
        end
      end
    until cursor == '0'
  end
end
return { id, 1 }
