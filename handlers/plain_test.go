package handlers

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestPlain(t *testing.T) {
	names := func(id string) string {
		return map[string]string{"U0D15K92L": "Dr. Maomao", "U01JKSB8T7Y": "linkedin-bot", "C0GENERAL1": "general", "S0SALES01": "sales-team"}[id]
	}
	cases := []struct{ in, want string }{
		{"World's smallest big cat! <https://youtube.com/watch?v=W86cTIoMv2U>", "World's smallest big cat! https://youtube.com/watch?v=W86cTIoMv2U"},
		{"<@U01JKSB8T7Y> test", "linkedin-bot test"},
		{"cc <@U0D15K92L> and <@U999>", "cc Dr. Maomao and a colleague"},
		{"ping <@U123|jane.doe>", "ping jane.doe"},
		{"see <#C123ABC456|general> now", "see #general now"},
		{"see <#C123ABC456>", "see #channel"},
		{"see <#C0GENERAL1>", "see #general"},
		{"<!subteam^S0SALES01> and <!subteam^S0UNKNOWN>", "@sales-team and @team"},
		{"<!subteam^S012|sales-team>", "sales-team"},
		{"<!here> <!channel> <!everyone> hello", "@here @channel @everyone hello"},
		{"<!subteam^S012|@sales-team> please", "@sales-team please"},
		{"due <!date^1392734382^{date_short}|Feb 18, 2014>", "due Feb 18, 2014"},
		{"read <https://example.com/a?b=1&amp;c=2|the docs>", "read the docs (https://example.com/a?b=1&c=2)"},
		{"<https://example.com|example.com> and <http://x.io|http://x.io>", "https://example.com and http://x.io"},
		{"mail <mailto:jane@example.com|jane@example.com>", "mail jane@example.com"},
		{"Q&amp;A: 1 &lt; 2 &gt; 0", "Q&A: 1 < 2 > 0"},
		{"a < b and c", "a < b and c"},
		{"unclosed <https://x.io", "unclosed <https://x.io"},
		{"*bold* _it_ ~s~ `code`", "*bold* _it_ ~s~ `code`"},
		{"", ""},
		{"مرحبا <@U123|علي> 👋", "مرحبا علي 👋"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, Plain(tc.in, names), tc.in)
	}
	assert.Equal(t, "a colleague", Plain("<@U0D15K92L>", nil))
}

func TestMentionedIDs(t *testing.T) {
	users, channels := mentionedIDs("<@U1> <@U2|two> <@U1> <@U3> <#C1> <#C2|two> <!here> <@")
	assert.Equal(t, []string{"U1", "U3"}, users)
	assert.Equal(t, []string{"C1"}, channels)
	users, channels = mentionedIDs("no mentions")
	assert.Empty(t, users)
	assert.Empty(t, channels)
}

func FuzzPlain(f *testing.F) {
	for _, s := range []string{"<@U1> hi", "<https://a|b> &amp;", "<!subteam^S|@x>", "<<>>", "<#C|", "&lt;@U1&gt;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Plain(in, func(id string) string { return "name" })
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("Plain(%q) = %q is not valid UTF-8", in, out)
		}
		if !strings.ContainsAny(in, "<&") && out != in {
			t.Fatalf("Plain(%q) changed text with no markup: %q", in, out)
		}
		users, channels := mentionedIDs(in)
		for _, id := range append(users, channels...) {
			if id == "" {
				t.Fatalf("empty ID from %q", in)
			}
		}
	})
}
