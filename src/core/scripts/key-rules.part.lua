--[=[
  key-rules: the key guard and the rule lookup shared by keyspace-step and ttl-report-step. Not a
  script of its own: the loader puts this text where a script has the line "--#include key-rules".

  read_guard(required, at)  required: the prefix every touched key starts with ("" = none);
                            ARGV[at] = P, then P pairs kind, bytes (kind "q": a queue prefix,
                            "o": cachectl's own prefix, "e": one of cachectl's own keys).
                            Returns the index after them.
  read_rules(at, make)      ARGV[at] = R, then R groups of six whose first two are shape and text
                            (see keyspace-step); make(b) returns the rule of the group
                            ARGV[b + 1 .. b + 6]. Returns the rules, R and the index after them.
  guard_of(key)             nil, or why the key is never touched: "outside" (not under the
                            required prefix), "queue", "own".
  rule_of(key)              the first (lowest-numbered) rule the key matches, or nil. Exact,
                            prefix and suffix rules are looked up in tables, so a key costs the
                            same with one rule or thousands.
  has_guard()               false when guard_of returns nil for every key (no required prefix,
                            nothing protected): the caller may skip it per key.
  every_key_rule()          the rule rule_of returns for every key, when it does not depend on
                            the key (an "any" rule, and no other shape that could come first).
]=]
local required, protected = '', {}
local anyRule, globs = nil, {}
local exact, prefixes, suffixes = {}, {}, {}
local prefixLengths, suffixLengths = {}, {}

local function read_guard(prefix, at)
  required = prefix
  local count = tonumber(ARGV[at])
  for i = 1, count do
    protected[i] = { kind = ARGV[at + 2 * i - 1], bytes = ARGV[at + 2 * i] }
  end
  return at + 2 * count + 1
end

-- Rule i under `text` in the table of texts of its length, unless a lower rule has it already.
local function index(tables, lengths, text, i)
  local n = #text
  local t = tables[n]
  if not t then
    t = {}
    tables[n] = t
    lengths[#lengths + 1] = n
  end
  if not t[text] then t[text] = i end
end

local function read_rules(at, make)
  local count = tonumber(ARGV[at])
  local rules = {}
  for i = 1, count do
    local b = at + 6 * (i - 1)
    local shape, text = ARGV[b + 1], ARGV[b + 2]
    rules[i] = make(b)
    if shape == 'any' then
      if not anyRule then anyRule = i end
    elseif shape == 'exact' then
      if not exact[text] then exact[text] = i end
    elseif shape == 'prefix' then
      index(prefixes, prefixLengths, text, i)
    elseif shape == 'suffix' then
      index(suffixes, suffixLengths, text, i)
    else
      globs[#globs + 1] = { i = i, pattern = text }
    end
  end
  return rules, count, at + 6 * count + 1
end

local function guard_of(key)
  if required ~= '' and string.sub(key, 1, #required) ~= required then return 'outside' end
  for _, p in ipairs(protected) do
    if p.kind == 'e' then
      if key == p.bytes then return 'own' end
    elseif string.sub(key, 1, #p.bytes) == p.bytes then
      return p.kind == 'q' and 'queue' or 'own'
    end
  end
  return nil
end

local function rule_of(key)
  local best = anyRule
  local e = exact[key]
  if e and (not best or e < best) then best = e end
  local len = #key
  -- Redis globs never match the empty key (only the empty pattern does): prefixes, suffixes and
  -- translated patterns would.
  if len == 0 then return best end
  for _, n in ipairs(prefixLengths) do
    if n <= len then
      local i = prefixes[n][string.sub(key, 1, n)]
      if i and (not best or i < best) then best = i end
    end
  end
  for _, n in ipairs(suffixLengths) do
    if n <= len then
      local i = suffixes[n][string.sub(key, len - n + 1)]
      if i and (not best or i < best) then best = i end
    end
  end
  for _, g in ipairs(globs) do
    if best and g.i > best then break end
    if string.find(key, g.pattern) then return g.i end
  end
  return best
end

local function has_guard()
  return required ~= '' or #protected > 0
end

local function every_key_rule()
  if anyRule == 1 then return 1 end
  if anyRule and next(exact) == nil and #prefixLengths == 0 and #suffixLengths == 0 and #globs == 0 then return anyRule end
  return nil
end
