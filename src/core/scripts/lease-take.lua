--[[
  lease-take.lua: the miss step of a read-through. Reads the key; when it is absent, stores the
  caller's lease marker in it with a short expiry, so that any invalidation (which deletes the key)
  before the fill makes the fill refuse.

  KEYS[1]  the cache key
  ARGV[1]  the caller's lease marker (marker prefix + random token)
  ARGV[2]  the lease's expiry in milliseconds

  Returns { 1 } when the caller now holds the lease, { 0, value } when the key holds something (a
  value, or another reader's lease marker: the caller tells them apart by the marker prefix).
]]
local current = redis.call('GET', KEYS[1])
if current then
  return { 0, current }
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { 1 }
