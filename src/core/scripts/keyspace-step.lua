#!lua flags=allow-cross-slot-keys,allow-oom
--[=[
  keyspace-step: one bounded step of a keyspace pass on this node, or one batch of given keys.
  Every key is tested against the key guard and against several rules (first match wins), and the
  rule's condition is decided here, at action time, so a key touched after it was selected is
  judged on its new state. Keys never need to cross the wire (except captured payloads).

  KEYS     none in scan mode; in keys mode the candidates: ONE declared key (so that a cluster
           client routes the call to its node), or none with the candidates in ARGV (see below)
  ARGV[1]  scan mode: the SCAN cursor; keys mode: "-"
  ARGV[2]  scan mode: MATCH filter ("" = none); keys mode: ignored
  ARGV[3]  scan mode: COUNT hint; keys mode: ignored
  ARGV[4]  budget: most keys this call may act on (>= 1); matching keys beyond it are left pending
  ARGV[5]  action: "COUNT" (decide and count, change nothing) | "UNLINK" | "DEL" (servers < 4.0)
  ARGV[6]  "1": return key, PTTL and DUMP payload of every key acted on (backup capture)
  ARGV[7]  COUNT: how many qualifying keys to return as a sample
  ARGV[8]  required prefix ("" = none): a key outside it is never touched, only counted (tenant)
  ARGV[9]  P, the number of protected entries; then P pairs: kind, bytes
             kind "q": queue prefix · "o": cachectl's own prefix · "e": one of cachectl's own keys
  then     R, the number of rules; then R groups of six:
             shape · text: "any" (every key the MATCH filter returns; text ignored) | "exact" (the key
             is the text) | "prefix" (starts with the text) | "suffix" (ends with the text) | "glob"
             (text is an anchored Lua pattern) ·
             mode ("all" | "idle" | "field" | "ttl-missing" | "ttl-above" | "ttl-both") ·
             threshold (idle: seconds; field: max age in ms; ttl-*: the policy TTL in ms) ·
             now (field: epoch ms; ttl-*: jitter in parts per million) ·
             field (field: hash field or JSON property, dotted path; ttl-*: ignored)
           ttl-* rules do not delete: a key qualifies when it has no TTL (missing), a TTL above the
           policy (above), or either (both), judged by PTTL in this same call, and is given the
           policy TTL with PEXPIRE, shortened by up to `jitter` of it by a hash of the key (the same
           key always gets the same TTL), so it never ends above the policy. A key given a TTL or
           rewritten since it was selected is judged on what it is now. When every rule is
           ttl-missing, a key with a TTL is passed over before the guard and the rules (one PTTL),
           so it is counted in no rule's kept.
           A key is judged by the first rule (lowest number) it matches. Exact, prefix and suffix
           rules are looked up in tables, so a step costs the same with one rule or thousands.
  then     keys mode without a declared key: the candidate keys, all served by this node. They are
           not declared as KEYS because a cluster rejects declared keys of several slots with
           CROSSSLOT even with allow-cross-slot-keys (Redis 7.0); undeclared local keys are allowed.

  Returns { cursor, examined, pending, outside, queue, own, kept, undated, error,
            matched[1..R], acted[1..R], kept[1..R], n, items[1..n], m, moved[1..m] }
    cursor    scan mode: the next cursor, or the SAME cursor when keys were left pending (the caller
              repeats the step: keys acted on do not reappear); keys mode: "0"
    examined  keys this step looked at (scan: what the MATCH filter let through)
    outside, queue, own, kept, undated: keys not acted on, by reason (kept: do not qualify yet;
              undated: field mode, no readable timestamp: never delete what cannot be judged).
              These and `examined` are reported only by the execution that completes a step, so a
              repeated step never counts them twice.
    error     "" or the first unexpected error (the step stops there; what it did is reported)
    matched   per rule: keys that qualified (COUNT: that would be acted on)
    acted     per rule: keys removed (the delete command returned 1); ttl-*: keys given the TTL
    kept      per rule: keys that matched but do not qualify (kept + undated, counted like them)
    items     COUNT: up to ARGV[7] sample keys; capture: key, pttl, dump of each key acted on
    moved     key, rule of each key that belongs to another node now (slot moved or importing):
              the caller retries them through its cluster client, which follows the redirection
  OBJECT IDLETIME under an LFU maxmemory-policy fails: the error field then starts with "LFU".
  The shebang line is stripped for servers < 7.0, which do not know script flags.
]=]
if redis.replicate_commands then pcall(redis.replicate_commands) end

local cursor = ARGV[1]
local scanning = cursor ~= '-'
local budget = tonumber(ARGV[4])
local action = ARGV[5]
local capture = ARGV[6] == '1'
local sampleSize = tonumber(ARGV[7]) or 0

--#include key-rules

local at = read_guard(ARGV[8], 9)
local rules, ruleCount
rules, ruleCount, at = read_rules(at, function(b)
  local rule = { mode = ARGV[b + 3], threshold = tonumber(ARGV[b + 4]) or 0, now = tonumber(ARGV[b + 5]) or 0, field = ARGV[b + 6] }
  if string.sub(rule.mode, 1, 4) == 'ttl-' then rule.ttl = string.sub(rule.mode, 5) end
  return rule
end)

-- Every rule sets TTLs on keys without one: a key that has a TTL is passed over before the guard
-- and the rules are consulted (one PTTL, the cheapest test), so it is not counted per rule.
local missingOnly = ruleCount > 0
for i = 1, ruleCount do
  if rules[i].mode ~= 'ttl-missing' then missingOnly = false end
end

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- Timestamps: numbers (epoch seconds, or milliseconds when > 1e11), numeric strings, and ISO-8601
-- strings (YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|±hh[:mm]], no zone = UTC).
local function epoch_ms(value)
  if type(value) == 'number' then
    if value > 1e11 then return value end
    return value * 1000
  end
  if type(value) ~= 'string' then return nil end
  if string.match(value, '^%d+%.?%d*$') then return epoch_ms(tonumber(value)) end
  local y, mo, d, rest = string.match(value, '^(%d%d%d%d)-(%d%d)-(%d%d)(.*)$')
  if not y then return nil end
  local h, mi, s, frac, zone = 0, 0, 0, '', ''
  if rest ~= '' then
    local hh, mm, tail = string.match(rest, '^[T ](%d%d):(%d%d)(.*)$')
    if not hh then return nil end
    h, mi = tonumber(hh), tonumber(mm)
    local ss, tail2 = string.match(tail, '^:(%d%d)(.*)$')
    if ss then
      s = tonumber(ss)
      tail = tail2
      local f, tail3 = string.match(tail, '^[.,](%d+)(.*)$')
      if f then
        frac = f
        tail = tail3
      end
    end
    zone = tail
  end
  local offset = 0
  if zone ~= '' and zone ~= 'Z' and zone ~= 'z' then
    local sign, zh, zm = string.match(zone, '^([+-])(%d%d):?(%d%d)$')
    if not sign then
      sign, zh = string.match(zone, '^([+-])(%d%d)$')
      zm = '00'
    end
    if not sign then return nil end
    offset = (tonumber(zh) * 60 + tonumber(zm)) * 60000
    if sign == '-' then offset = -offset end
  end
  local ms = 0
  if frac ~= '' then ms = math.floor(tonumber('0.' .. frac) * 1000 + 0.5) end
  local days = days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms - offset
end

-- A key that belongs to another node (slot moved, or importing here): retried by the caller.
local function is_moved(err)
  return string.find(err, 'non local key', 1, true) or string.find(err, 'non%-local') or string.find(err, '^MOVED') or string.find(err, '^ASK')
    or string.find(err, '^TRYAGAIN') or string.find(err, '^CLUSTERDOWN')
end

-- redis.pcall, turning an error reply into (nil, message).
local function call(...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply.err then return nil, reply.err end
  return reply, nil
end

-- Timestamp of a key for field mode: (ms or nil, exists, error).
local function timestamp_of(key, field)
  local kind, err = call('TYPE', key)
  if err then return nil, true, err end
  kind = kind.ok or kind
  if kind == 'hash' then
    local value, herr = call('HGET', key, field)
    if herr then return nil, true, herr end
    return epoch_ms(value), true, nil
  elseif kind == 'string' then
    local text, gerr = call('GET', key)
    if gerr then return nil, true, gerr end
    local ok, doc = pcall(cjson.decode, text)
    if not ok then return nil, true, nil end
    local node = doc
    for part in string.gmatch(field, '[^.]+') do
      if type(node) ~= 'table' then return nil, true, nil end
      node = node[part]
    end
    return epoch_ms(node), true, nil
  elseif kind == 'none' then
    return nil, false, nil
  end
  return nil, true, nil
end

-- "yes" | "no" | "undated" | "missing", or nil and an error.
local function verdict(rule, key)
  if rule.mode == 'all' then
    if scanning then return 'yes', nil end
    local n, err = call('EXISTS', key)
    if err then return nil, err end
    return n == 1 and 'yes' or 'missing', nil
  elseif rule.mode == 'idle' then
    local idle, err = call('OBJECT', 'IDLETIME', key)
    if err then return nil, err end
    if not idle then return 'missing', nil end
    return idle >= rule.threshold and 'yes' or 'no', nil
  end
  if rule.ttl then
    local pttl, err = call('PTTL', key)
    if err then return nil, err end
    if pttl == -2 then return 'missing', nil end
    if pttl == -1 then return rule.ttl ~= 'above' and 'yes' or 'no', nil end
    return (rule.ttl ~= 'missing' and pttl > rule.threshold) and 'yes' or 'no', nil
  end
  local ts, exists, err = timestamp_of(key, rule.field)
  if err then return nil, err end
  if not exists then return 'missing', nil end
  if not ts then return 'undated', nil end
  return rule.now - ts >= rule.threshold and 'yes' or 'no', nil
end

-- The TTL a ttl-* rule gives `key`: the policy, less up to `jitter` of it, by a hash of the key.
local function expiry(rule, key)
  local ttl = rule.threshold
  if rule.now > 0 then
    local share = tonumber(string.sub(redis.sha1hex(key), 1, 8), 16) / 4294967296
    ttl = ttl - math.floor(ttl * (rule.now / 1000000) * share)
  end
  if ttl < 1 then ttl = 1 end
  return ttl
end

local candidates
local nextCursor = '0'
if scanning then
  local args = { 'SCAN', cursor }
  if ARGV[2] ~= '' then
    args[#args + 1] = 'MATCH'
    args[#args + 1] = ARGV[2]
  end
  args[#args + 1] = 'COUNT'
  args[#args + 1] = ARGV[3]
  local step = redis.call(unpack(args))
  nextCursor = step[1]
  candidates = step[2]
elseif #KEYS > 0 then
  candidates = KEYS
else
  candidates = {}
  for i = at, #ARGV do candidates[#candidates + 1] = ARGV[i] end
end

local examined, pending, outside, queue, own, kept, undated = 0, 0, 0, 0, 0, 0, 0
local failure = ''
local matched, acted, keptBy = {}, {}, {}
for i = 1, ruleCount do
  matched[i] = 0
  acted[i] = 0
  keptBy[i] = 0
end
local items, moved = {}, {}
local done = 0
-- Per-key work that does not depend on the key is decided once (most passes: one rule, no guard
-- entry the MATCH filter lets a key reach).
local guarded = has_guard()
local keyRule = every_key_rule()

-- The common pass has nothing to decide per key: one rule acting on every key the filter lets
-- through, nothing guarded, no capture. Each key is only removed, in a loop of its own: on such a
-- pass the general loop below took ~10% more server time than the floor's bare SCAN + UNLINK
-- loop, this one 0-5% (bench/README.md).
if scanning and keyRule and not guarded and not missingOnly and not capture and action ~= 'COUNT' and rules[keyRule].mode == 'all' then
  local r = keyRule
  for i, key in ipairs(candidates) do
    if done >= budget then
      pending = #candidates - i + 1
      break
    end
    examined = i
    local n = redis.pcall(action, key)
    if type(n) == 'table' then
      if not is_moved(n.err) then
        failure = n.err
        break
      end
      moved[#moved + 1] = key
      moved[#moved + 1] = r
    else
      done = done + 1
      acted[r] = acted[r] + n
    end
  end
  matched[r] = done
  candidates = {}
end

for _, key in ipairs(candidates) do
  examined = examined + 1
  local guard = nil
  if missingOnly and redis.call('PTTL', key) ~= -1 then
    guard = 'skip'
  elseif guarded then
    guard = guard_of(key)
  end
  if guard == 'skip' then
    -- has a TTL (or is gone): nothing to do
  elseif guard == 'outside' then
    outside = outside + 1
  elseif guard == 'queue' then
    queue = queue + 1
  elseif guard == 'own' then
    own = own + 1
  else
    local r = keyRule or rule_of(key)
    if r then
      if action ~= 'COUNT' and done >= budget then
        pending = pending + 1
      else
        local v, err
        if scanning and rules[r].mode == 'all' then
          v = 'yes'
        else
          v, err = verdict(rules[r], key)
        end
        if err then
          if is_moved(err) then
            moved[#moved + 1] = key
            moved[#moved + 1] = r
          else
            failure = err
            break
          end
        elseif v == 'no' then
          kept = kept + 1
          keptBy[r] = keptBy[r] + 1
        elseif v == 'undated' then
          undated = undated + 1
          keptBy[r] = keptBy[r] + 1
        elseif v == 'yes' then
          if action == 'COUNT' then
            matched[r] = matched[r] + 1
            if #items < sampleSize then items[#items + 1] = key end
          else
            local dump, pttl, derr
            local rule = rules[r]
            if capture and not rule.ttl then
              dump, derr = call('DUMP', key)
              if not derr then pttl, derr = call('PTTL', key) end
            end
            local n
            if rule.ttl then
              n, derr = call('PEXPIRE', key, expiry(rule, key))
            elseif not derr then
              n, derr = call(action, key)
            end
            if derr then
              if is_moved(derr) then
                moved[#moved + 1] = key
                moved[#moved + 1] = r
              else
                failure = derr
                break
              end
            else
              done = done + 1
              matched[r] = matched[r] + 1
              if n == 1 then
                acted[r] = acted[r] + 1
                if capture and dump then
                  items[#items + 1] = key
                  items[#items + 1] = pttl
                  items[#items + 1] = dump
                end
              end
            end
          end
        end
      end
    end
  end
end

if pending > 0 then
  nextCursor = cursor
  examined, outside, queue, own, kept, undated = 0, 0, 0, 0, 0, 0
  for i = 1, ruleCount do keptBy[i] = 0 end
end

local out = { nextCursor, examined, pending, outside, queue, own, kept, undated, failure }
for i = 1, ruleCount do out[#out + 1] = matched[i] end
for i = 1, ruleCount do out[#out + 1] = acted[i] end
for i = 1, ruleCount do out[#out + 1] = keptBy[i] end
out[#out + 1] = #items
for _, v in ipairs(items) do out[#out + 1] = v end
out[#out + 1] = #moved / 2
for _, v in ipairs(moved) do out[#out + 1] = v end
return out
