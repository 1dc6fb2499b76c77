package handlers

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"linkedin-bot/linkup"
)

func TestParseCommand(t *testing.T) {
	const jane = "https://www.linkedin.com/in/jane-doe"
	ok := []struct {
		in   string
		want Command
	}{
		{"", Command{}},
		{"   ", Command{}},
		{"help", Command{Help: true}},
		{" Help ", Command{Help: true}},
		{jane, Command{Profile: jane}},
		{"linkedin.com/in/jane-doe   ", Command{Profile: jane}},
		{jane + " Hi Jane", Command{Profile: jane, Text: "Hi Jane"}},
		{jane + "\nHi Jane,\n\nsee you soon", Command{Profile: jane, Text: "Hi Jane,\n\nsee you soon"}},
		{"<https://www.linkedin.com/in/jane-doe> Hi", Command{Profile: jane, Text: "Hi"}},
		{"<https://www.linkedin.com/in/jane-doe|linkedin.com/in/jane-doe> Hi", Command{Profile: jane, Text: "Hi"}},
		{"<https://www.linkedin.com/in/jane-doe?a=1&amp;b=2> Hi", Command{Profile: jane, Text: "Hi"}},
		{jane + " Q&amp;A &lt;3 &gt; all", Command{Profile: jane, Text: "Q&A <3 > all"}},
		{jane + " مرحبا 👋", Command{Profile: jane, Text: "مرحبا 👋"}},
		{jane + " " + strings.Repeat("é", 100), Command{Profile: jane, Text: strings.Repeat("é", 100)}},
	}
	for _, tc := range ok {
		got, err := ParseCommand(tc.in, 100)
		if assert.NoError(t, err, tc.in) {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}

	bad := []struct{ in, want string }{
		{"hello there", "A LinkedIn profile URL is expected, like " + linkup.ExampleProfileURL},
		{"https://www.linkedin.com/company/acme hi", "company and school pages"},
		{"<https://example.com|linkedin.com/in/jane> hi", "not a linkedin.com address"},
		{jane + " " + strings.Repeat("é", 101), "The message is 101 characters long; the most is 100."},
		{jane + " hi\x00there", "control characters"},
		{jane + " hi\x1bthere", "control characters"},
		{jane + " \xff\xfe", "not valid text"},
	}
	for _, tc := range bad {
		_, err := ParseCommand(tc.in, 100)
		var p *Problem
		if assert.ErrorAs(t, err, &p, tc.in) {
			assert.Contains(t, p.Text, tc.want, tc.in)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "https://www.linkedin.com/in/jane-doe hi", "<https://linkedin.com/in/a|x> b &amp;", "linkedin.com/in/é x\x00", "https://www.linkedin.com/in/%zz hi"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCommand(in, 50)
		if err != nil {
			if p, ok := errors.AsType[*Problem](err); !ok || p.Text == "" {
				t.Fatalf("ParseCommand(%q) error %v is not a user-facing Problem", in, err)
			}
			return
		}
		if c.Profile != "" {
			again, err := linkup.ProfileURL(c.Profile)
			if err != nil || again != c.Profile {
				t.Fatalf("profile %q is not a fixed point: %q, %v", c.Profile, again, err)
			}
		}
		if c.Text != "" && (c.Profile == "" || !utf8.ValidString(c.Text) || utf8.RuneCountInString(c.Text) > 50 || strings.ContainsRune(c.Text, 0)) {
			t.Fatalf("ParseCommand(%q) accepted a bad message %q", in, c.Text)
		}
	})
}

func BenchmarkParseCommand(b *testing.B) {
	text := "<https://www.linkedin.com/in/jane-doe|linkedin.com/in/jane-doe> Hi Jane, great to meet you at the conference &amp; thanks for the chat!"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCommand(text, 8000); err != nil {
			b.Fatal(err)
		}
	}
}
