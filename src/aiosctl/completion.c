/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl completion bash|zsh: a completion script whose tool, server, resource and prompt names come from
 * the live gateway each time a word is completed (aiosctl list-* --no-legend). */
#include <stdio.h>

#include "aiosctl.h"
#include "log.h"
#include "strv.h"

#define VERBS                                                                                                          \
        "status list-servers list-tools describe call list-resources read list-prompts get-prompt key audit metrics "  \
        "completion"
#define OPTIONS                                                                                                        \
        "--help --version --json --no-pager --no-legend --url= --key= --socket= --server= --arg= --principal= "        \
        "--tool= --follow --lines="

static const char bash_script[] =
        "# bash completion for aiosctl (aiosctl completion bash)\n"
        "_aiosctl_names() { aiosctl --no-pager --no-legend \"$@\" 2>/dev/null | awk '{print $1}'; }\n"
        "_aiosctl() {\n"
        "        local cur=${COMP_WORDS[COMP_CWORD]} verb= i\n"
        "        for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "                [[ ${COMP_WORDS[i]} == -* ]] || { verb=${COMP_WORDS[i]}; break; }\n"
        "        done\n"
        "        if [[ $cur == -* ]]; then\n"
        "                COMPREPLY=($(compgen -W '" OPTIONS "' -- \"$cur\")); compopt -o nospace; return\n"
        "        fi\n"
        "        case $verb in\n"
        "        '') COMPREPLY=($(compgen -W '" VERBS "' -- \"$cur\")) ;;\n"
        "        describe|call) [[ $((COMP_CWORD - i)) -eq 1 ]] && COMPREPLY=($(compgen -W \"$(_aiosctl_names list-tools)\" -- \"$cur\")) ;;\n"
        "        list-tools|list-resources|list-prompts) COMPREPLY=($(compgen -W \"$(_aiosctl_names list-servers)\" -- \"$cur\")) ;;\n"
        "        get-prompt) COMPREPLY=($(compgen -W \"$(_aiosctl_names list-prompts)\" -- \"$cur\")) ;;\n"
        "        read) COMPREPLY=($(compgen -W \"$(aiosctl --no-pager --no-legend list-resources 2>/dev/null | awk '$2 ~ /:/ {print $2}')\" -- \"$cur\")) ;;\n"
        "        key) COMPREPLY=($(compgen -W 'create list revoke' -- \"$cur\")) ;;\n"
        "        completion) COMPREPLY=($(compgen -W 'bash zsh' -- \"$cur\")) ;;\n"
        "        esac\n"
        "}\n"
        "complete -F _aiosctl aiosctl\n";

static const char zsh_script[] =
        "#compdef aiosctl\n"
        "# zsh completion for aiosctl (aiosctl completion zsh)\n"
        "_aiosctl_names() { aiosctl --no-pager --no-legend \"$@\" 2>/dev/null | awk '{print $1}' }\n"
        "_aiosctl() {\n"
        "        local -a verbs; verbs=(" VERBS ")\n"
        "        local verb=${words[2]}\n"
        "        if (( CURRENT == 2 )); then compadd -- $verbs; return; fi\n"
        "        case $verb in\n"
        "        describe|call) (( CURRENT == 3 )) && compadd -- ${(f)\"$(_aiosctl_names list-tools)\"} ;;\n"
        "        list-tools|list-resources|list-prompts) compadd -- ${(f)\"$(_aiosctl_names list-servers)\"} ;;\n"
        "        get-prompt) compadd -- ${(f)\"$(_aiosctl_names list-prompts)\"} ;;\n"
        "        key) compadd create list revoke ;;\n"
        "        completion) compadd bash zsh ;;\n"
        "        esac\n"
        "}\n"
        "compdef _aiosctl aiosctl\n";

int verb_completion(char **args) {
        if (strv_length(args) != 1 || (!streq(args[0], "bash") && !streq(args[0], "zsh")))
                return log_error("completion takes bash or zsh."), EXIT_USAGE;
        fputs(streq(args[0], "bash") ? bash_script : zsh_script, stdout);
        return EXIT_OK;
}
