--[[
  hold-jobs.lua: the "take" step of a queue drain. Moves up to ARGV[2] jobs, oldest first, from the
  lists workers read into the drain's holding list, in one atomic step: a job a worker has already
  taken is not in those lists any more, and a job taken here is out of every worker's reach.
  Job-scheduler jobs (field `rjk`), ids without a job hash and legacy "0:<n>" markers stay where
  they are; the caller passes how many it has stepped over per state, so they are not read again.

  KEYS[1]     the holding list (<queue>:cachectl:drain-held); entries are "<state>:<jobId>"
  KEYS[2..]   the state keys, in the order of the state names in ARGV
  ARGV[1]     the queue's key prefix with its colon (<prefix>:<name>:), for the job hashes
  ARGV[2]     the most jobs to look at in this call
  ARGV[3..]   per state key: its state name, then how many entries were stepped over so far

  Returns, per state: jobs taken in this call, entries stepped over so far (both integers).
]]
local held = KEYS[1]
local prefix = ARGV[1]
local budget = tonumber(ARGV[2])
local out = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local state = ARGV[2 * i - 1]
  local skip = tonumber(ARGV[2 * i])
  local isList = state == 'wait' or state == 'paused'
  local taken = 0
  while budget > 0 do
    local ids
    if isList then
      ids = redis.call('LRANGE', key, -(skip + budget), -(skip + 1))
    else
      ids = redis.call('ZRANGE', key, skip, skip + budget - 1)
    end
    local n = #ids
    if n == 0 then break end
    for k = 1, n do
      -- Producers push at the head of a list: its oldest job is at the tail.
      local id = isList and ids[n - k + 1] or ids[k]
      local jobKey = prefix .. id
      if string.sub(id, 1, 2) == '0:' or redis.call('EXISTS', jobKey) == 0 or redis.call('HEXISTS', jobKey, 'rjk') == 1 then
        skip = skip + 1
      else
        if isList then
          redis.call('LREM', key, -1, id)
        else
          redis.call('ZREM', key, id)
        end
        redis.call('RPUSH', held, state .. ':' .. id)
        taken = taken + 1
      end
      budget = budget - 1
    end
  end
  out[#out + 1] = taken
  out[#out + 1] = skip
end
return out
