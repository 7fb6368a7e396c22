#!lua flags=allow-cross-slot-keys
--[[
  cachectl restore: RESTORE a batch of keys in one call. The batch is bounded by the caller (a
  few MB of payload), so the server is never held for long.

  KEYS     the keys to restore (all served by this node)
  ARGV[1]  "1": REPLACE existing keys; "0": keep them (BUSYKEY)
  ARGV[2i], ARGV[2i+1]   TTL in ms (0: none) and DUMP payload of KEYS[i]
  Returns one element per key: 1 when restored, else the error text (e.g. "BUSYKEY ...").
]]
local replace = ARGV[1] == '1'
local out = {}
for i, key in ipairs(KEYS) do
  local reply
  if replace then
    reply = redis.pcall('RESTORE', key, ARGV[2 * i], ARGV[2 * i + 1], 'REPLACE')
  else
    reply = redis.pcall('RESTORE', key, ARGV[2 * i], ARGV[2 * i + 1])
  end
  if type(reply) == 'table' and reply.err then
    out[i] = reply.err
  else
    out[i] = 1
  end
end
return out
