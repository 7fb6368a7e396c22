--[[
  read-new.lua: read new entries for a consumer group, first counting the entries the stream cap
  trimmed before the group ever read them. When the stream's first entry lies past the group's
  last-delivered id, every entry between them is gone: (entries-added - entries-read) - length of
  them. That gap is added to the counters once, and the group's entries-read is set to what it has
  really passed (XGROUP SETID … ENTRIESREAD), so its lag is true again. Then XREADGROUP (no BLOCK).

  KEYS[1]  the stream
  KEYS[2]  the trimmed counters, <stream>:trimmed{<stream>} (hash: pending, undelivered, lastAt)
  ARGV[1]  group
  ARGV[2]  consumer
  ARGV[3]  COUNT

  Returns { entries trimmed before delivery found now, the XREADGROUP reply or false }.
]]
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local function after(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am > bm or (am == bm and as > bs)
end

local function fields(flat)
  local out = {}
  for i = 1, #flat, 2 do
    out[flat[i]] = flat[i + 1]
  end
  return out
end

local gap = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local stream = fields(redis.call('XINFO', 'STREAM', KEYS[1]))
  local added = stream['entries-added']
  local length = stream['length']
  local first = stream['first-entry']
  if added then
    for _, raw in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
      local group = fields(raw)
      if group['name'] == ARGV[1] then
        local read = group['entries-read']
        local last = group['last-delivered-id']
        local passed = length == 0 or (first and after(first[1], last))
        if passed and (not read or added - read > length) then
          -- entries-read unknown (an older group): the gap cannot be counted, only the lag mended.
          if read then
            gap = added - read - length
            redis.call('HINCRBY', KEYS[2], 'undelivered', gap)
            local now = redis.call('TIME')
            redis.call('HSET', KEYS[2], 'lastAt', now[1] * 1000 + math.floor(now[2] / 1000))
          end
          redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', added - length)
        end
      end
    end
  end
end
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
return { gap, reply }
