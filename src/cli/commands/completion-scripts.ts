/**
 * The completion scripts. Each hands the words typed so far (after `cachectl`, the last one being
 * completed) to `cachectl completion __complete --` and offers what it prints, one per line; when
 * nothing comes back, bash and zsh fall back to file names (for --config, --backup, restore …).
 */

const BASH = `# cachectl completion for bash. Load it with:  source <(cachectl completion bash)
_cachectl_complete() {
  local IFS=$'\\n'
  local words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=($(cachectl completion __complete -- "\${words[@]}" 2>/dev/null))
  if [ \${#COMPREPLY[@]} -eq 0 ]; then
    compopt -o default 2>/dev/null
  fi
  return 0
}
complete -o nosort -F _cachectl_complete cachectl 2>/dev/null || complete -F _cachectl_complete cachectl
`;

const ZSH = `#compdef cachectl
# cachectl completion for zsh. Load it with:  source <(cachectl completion zsh)   (after compinit)
_cachectl() {
  local -a candidates
  candidates=("\${(@f)$(cachectl completion __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
compdef _cachectl cachectl
`;

const FISH = `# cachectl completion for fish. Install:  cachectl completion fish > ~/.config/fish/completions/cachectl.fish
function __cachectl_complete
    set -l tokens (commandline -opc) (commandline -ct)
    cachectl completion __complete -- $tokens[2..-1] 2>/dev/null
end
complete -c cachectl -f -a '(__cachectl_complete)'
`;

export const SCRIPTS = { bash: BASH, zsh: ZSH, fish: FISH } as const;
