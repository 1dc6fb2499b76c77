package linkup

import (
	"net/url"
	"strings"
)

// ProfileKey is the key of the member profile URL u names: its canonical
// form (ProfileURL: https://www.linkedin.com/in/slug, whatever the host
// form, scheme or query), its slug unescaped and lower-cased, without a
// trailing slash. Two URLs of the same member have the same key. A URL
// ProfileURL refuses keeps its own text, trimmed, unescaped and
// lower-cased; "" has the key "", which names nobody.
func ProfileKey(u string) string {
	if canon, err := ProfileURL(u); err == nil {
		u = canon
	}
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if dec, err := url.PathUnescape(u); err == nil {
		u = dec
	}
	return strings.ToLower(u)
}

// SameProfile reports whether two profile URLs name the same member (the
// same ProfileKey); an empty URL names nobody.
func SameProfile(a, b string) bool {
	ka := ProfileKey(a)
	return ka != "" && ka == ProfileKey(b)
}
