--[[
  read-new.lua: read new entries for a consumer group and, when that leaves the group caught up,
  count the entries the stream cap trimmed before the group ever read them.

  A read that jumps a trimmed gap advances the group's entries-read by what it delivered only, so
  the gap stays in the group's lag (entries-added - entries-read) until it is counted here. When
  the group is caught up (the read returned fewer than COUNT entries, or, with COUNT 0, nothing is
  left after its last-delivered id), no entry is left to read and the whole lag is that gap: it is
  added to the counters once, and the group's entries-read is set to entries-added (XGROUP SETID …
  ENTRIESREAD), so its lag is true again. A group that is not caught up is left for a later call:
  nothing is lost, a gap is counted by the first call that finds the group caught up.

  KEYS[1]  the stream
  KEYS[2]  the trimmed counters, <stream>:trimmed{<stream>} (hash: pending, undelivered, lastAt)
  ARGV[1]  group
  ARGV[2]  consumer
  ARGV[3]  COUNT (0: do not read, only count)

  Returns { entries trimmed before delivery counted now, the XREADGROUP reply or false,
            1 when the group was caught up (the count was made) or 0 }.
]]
local count = tonumber(ARGV[3])
local reply = false
if count > 0 then
  reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[1], '>')
  if reply and reply[1] and #reply[1][2] >= count then
    return { 0, reply, 0 } -- a full batch: more may be waiting, count later
  end
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return { 0, false, 1 } -- no stream, nothing trimmed
end

local function fields(flat)
  local out = {}
  for i = 1, #flat, 2 do
    out[flat[i]] = flat[i + 1]
  end
  return out
end

for _, raw in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local group = fields(raw)
  if group['name'] == ARGV[1] then
    local last = group['last-delivered-id']
    local lag = group['lag']
    local stream
    if count == 0 then
      stream = fields(redis.call('XINFO', 'STREAM', KEYS[1]))
      if stream['last-generated-id'] ~= last then
        return { 0, reply, 0 }
      end
    end
    -- Servers before 7.0 know no lag (nil): nothing can be counted there. 0: nothing was trimmed.
    if lag == nil or lag == 0 then
      return { 0, reply, 1 }
    end
    stream = stream or fields(redis.call('XINFO', 'STREAM', KEYS[1]))
    local gap = 0
    if lag then
      gap = lag
      redis.call('HINCRBY', KEYS[2], 'undelivered', gap)
      local now = redis.call('TIME')
      redis.call('HSET', KEYS[2], 'lastAt', now[1] * 1000 + math.floor(now[2] / 1000))
    end
    -- A lag the server cannot tell (false, e.g. after XDEL) is only mended, not counted.
    redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', stream['entries-added'])
    return { gap, reply, 1 }
  end
end
return { 0, reply, 1 }
