#!lua flags=no-writes,allow-cross-slot-keys
--[[
  cachectl backup: DUMP and PTTL of a batch of keys in one call (fewer round trips and far less
  client-side work than one command per key). The batch is bounded by the caller.

  KEYS   the keys to read (all served by this node)
  ARGV   none
  Returns { dump1, pttl1, dump2, pttl2, ... }; a missing key has a nil payload and PTTL -2.
]]
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = redis.call('DUMP', key)
  out[2 * i] = redis.call('PTTL', key)
end
return out
