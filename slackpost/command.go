package slackpost

import "strings"

// ShellQuote is s as one word of a POSIX shell command line: as it is when
// it holds only characters no shell treats specially, else in single
// quotes, each single quote in it written as the four characters ', \, '
// and ' (close, escaped quote, reopen). Nothing between single quotes is
// expanded or split: not $(…), not backticks, not spaces, not newlines.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command is a command line for an operator to paste into a POSIX shell,
// as a Slack code span: each of args quoted by ShellQuote, the whole made
// inert in Slack markup. Every hint that shows a command built from a name
// goes through it, so that no name can break the command or run anything
// when it is pasted. (A backtick in a name ends Slack's code span early;
// pasted, the line is still one single-quoted word, so it runs nothing.)
func Command(args ...string) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = ShellQuote(a)
	}
	return "`" + Escape(strings.Join(words, " ")) + "`"
}
