--[[
  lock-release.lua: delete a lock or lease, but only for its holder (a run whose lock expired must
  not remove the lock of the run that took over; a reader whose loader failed must not remove a
  lease another reader took, or the value it filled).

  KEYS[1]  the lock key (cachectl:maintenance:lock) or the leased cache key
  ARGV[1]  the exact value the holder stored (the lock's JSON, or the lease marker)

  Returns 1 when the lock was deleted, 0 when the key is gone or held by someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
