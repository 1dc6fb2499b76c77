package linkup

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProfileURL(t *testing.T) {
	const want = "https://www.linkedin.com/in/jane-doe"
	ok := []struct{ in, want string }{
		{"https://www.linkedin.com/in/jane-doe", want},
		{"https://www.linkedin.com/in/jane-doe/", want},
		{"http://linkedin.com/in/jane-doe", want},
		{"linkedin.com/in/jane-doe", want},
		{"www.linkedin.com/in/jane-doe/", want},
		{"  https://www.linkedin.com/in/jane-doe?trk=public_profile#about  ", want},
		{"HTTPS://WWW.LINKEDIN.COM/in/jane-doe", want},
		{"https://fr.linkedin.com/in/jane-doe", want},
		{"https://m.linkedin.com/in/jane-doe", want},
		{"https://www.linkedin.com/in/jane_doe-123", "https://www.linkedin.com/in/jane_doe-123"},
		{"https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa", "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa"},
		{"https://www.linkedin.com/in/%D8%B9%D9%84%D9%8A", "https://www.linkedin.com/in/%D8%B9%D9%84%D9%8A"},
	}
	for _, tc := range ok {
		got, err := ProfileURL(tc.in)
		if assert.NoError(t, err, tc.in) {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}

	bad := []struct{ in, reason string }{
		{"", "empty"},
		{"jane-doe", "not a linkedin.com address"},
		{"https://example.com/in/jane-doe", "not a linkedin.com address"},
		{"https://linkedin.com.evil.com/in/jane-doe", "not a linkedin.com address"},
		{"https://evil.com/?x=linkedin.com/in/jane", "not a linkedin.com address"},
		{"https://user@www.linkedin.com/in/jane-doe", "not a linkedin.com address"},
		{"https://www.linkedin.com:8443/in/jane-doe", "not a linkedin.com address"},
		{"ftp://www.linkedin.com/in/jane-doe", "not a web address"},
		{"https://www.linkedin.com/company/acme", "company and school"},
		{"https://www.linkedin.com/school/mit/", "company and school"},
		{"https://www.linkedin.com/sales/lead/ACwAAA,NAME_SEARCH", "Sales Navigator"},
		{"https://www.linkedin.com/sales/people/ACwAAA", "Sales Navigator"},
		{"https://www.linkedin.com/in/", "missing"},
		{"https://www.linkedin.com/in", "missing"},
		{"https://www.linkedin.com/", "not a member profile"},
		{"https://www.linkedin.com/feed/", "not a member profile"},
		{"https://www.linkedin.com/in/jane-doe/details/experience/", "inside a profile"},
		{"https://www.linkedin.com/in/jane%20doe", "characters"},
		{"https://www.linkedin.com/in/jane%00doe", "characters"},
		{"https://www.linkedin.com/in/jane<script>", "characters"},
		{"https://www.linkedin.com/in/" + strings.Repeat("a", 301), "too long"},
	}
	for _, tc := range bad {
		_, err := ProfileURL(tc.in)
		var pe *ProfileError
		if assert.ErrorAs(t, err, &pe, tc.in) {
			assert.Contains(t, pe.Reason, tc.reason, tc.in)
		}
	}
}

func TestMediaLink(t *testing.T) {
	for _, s := range []string{"https://example.com/a.png", "http://x.io/b.JPG", "https://x.io/c.jpeg?sig=1", "https://x.io/d.mp4", "https://x.io/e.pdf"} {
		_, err := MediaLink(s)
		assert.NoError(t, err, s)
	}
	for _, s := range []string{"example.com/a.png", "ftp://x.io/a.pdf", "https://x.io/a.exe", "https://x.io/a.zip", "https:///a.pdf", "https://x.io/pdf"} {
		_, err := MediaLink(s)
		assert.Error(t, err, s)
	}
}

func TestCountry(t *testing.T) {
	c, err := Country(" uk ")
	assert.NoError(t, err)
	assert.Equal(t, "UK", c)
	_, err = Country("GB")
	assert.ErrorContains(t, err, "US, UK, FR, DE, NL, IT, IL, CA, BR, ES, IN")
}

func FuzzProfileURL(f *testing.F) {
	for _, s := range []string{"https://www.linkedin.com/in/jane-doe", "linkedin.com/in/é", "https://fr.linkedin.com/in/a?b#c", "https://www.linkedin.com/in/%zz", "http://m.linkedin.com/in/x/", "https://linkedin.com/company/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ProfileURL(in)
		if err != nil {
			if _, ok := err.(*ProfileError); !ok {
				t.Fatalf("ProfileURL(%q): error of type %T", in, err)
			}
			return
		}
		if !strings.HasPrefix(got, "https://www.linkedin.com/in/") || strings.ContainsAny(got, " \t\r\n\x00?#") {
			t.Fatalf("ProfileURL(%q) = %q", in, got)
		}
		again, err := ProfileURL(got)
		if err != nil || again != got {
			t.Fatalf("ProfileURL(%q) = %q is not a fixed point: %q, %v", in, got, again, err)
		}
	})
}
