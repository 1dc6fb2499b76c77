package linkup

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExampleProfileURL is shown to users who give something else.
const ExampleProfileURL = "https://www.linkedin.com/in/jane-doe"

// maxSlugLen bounds a profile slug; LinkedIn's own limit is 100 characters,
// and percent-encoding can triple a non-ASCII one.
const maxSlugLen = 300

// ProfileError says why a text is not a LinkedIn member profile URL.
type ProfileError struct {
	// Reason is a short phrase for a user, e.g. "company pages cannot receive messages".
	Reason string
}

func (e *ProfileError) Error() string {
	return "not a LinkedIn profile URL: " + e.Reason
}

// ProfileURL checks that s is a LinkedIn member profile URL and returns it
// in the one form Linkup is sent: https://www.linkedin.com/in/<slug>.
//
// It accepts http or https or no scheme, with or without www. (or a
// country or mobile subdomain), a trailing slash, a query string and a
// fragment. Other hosts, /company/, /school/, Sales Navigator links and
// empty or malformed slugs are a *ProfileError.
func ProfileURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &ProfileError{Reason: "it is empty"}
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", &ProfileError{Reason: "it is not a valid URL"}
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", &ProfileError{Reason: "it is not a web address"}
	}
	if u.User != nil || u.Port() != "" || !isLinkedInHost(strings.ToLower(u.Hostname())) {
		return "", &ProfileError{Reason: "it is not a linkedin.com address"}
	}

	parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	switch {
	case len(parts) >= 1 && (parts[0] == "company" || parts[0] == "school" || parts[0] == "showcase"):
		return "", &ProfileError{Reason: "company and school pages cannot receive messages"}
	case len(parts) >= 1 && (parts[0] == "sales" || parts[0] == "talent" || parts[0] == "recruiter"):
		return "", &ProfileError{Reason: "Sales Navigator and Recruiter links are not member profiles; open the person's public profile and copy its address"}
	case len(parts) == 0 || parts[0] != "in":
		return "", &ProfileError{Reason: "it is not a member profile (/in/…)"}
	case len(parts) == 1 || parts[1] == "":
		return "", &ProfileError{Reason: "the profile name after /in/ is missing"}
	case len(parts) > 2:
		return "", &ProfileError{Reason: "it points inside a profile; use the profile's own address"}
	}

	slug := parts[1]
	if len(slug) > maxSlugLen {
		return "", &ProfileError{Reason: "the profile name is too long"}
	}
	decoded, err := url.PathUnescape(slug)
	if err != nil || !validSlug(decoded) {
		return "", &ProfileError{Reason: "the profile name has characters LinkedIn does not use"}
	}
	return "https://www.linkedin.com/in/" + slug, nil
}

func isLinkedInHost(h string) bool {
	if h == "linkedin.com" || h == "www.linkedin.com" {
		return true
	}
	sub, ok := strings.CutSuffix(h, ".linkedin.com")
	// Country (fr.linkedin.com) and mobile (m.linkedin.com) hosts serve the same profiles.
	return ok && (sub == "m" || (len(sub) == 2 && sub[0] >= 'a' && sub[0] <= 'z' && sub[1] >= 'a' && sub[1] <= 'z'))
}

// validSlug accepts letters (any script), digits, '-' and '_', as LinkedIn
// custom URLs do.
func validSlug(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || unicode.Is(unicode.Mn, r)) {
			return false
		}
	}
	return true
}

// Countries are the proxy countries Linkup accepts.
var Countries = []string{"US", "UK", "FR", "DE", "NL", "IT", "IL", "CA", "BR", "ES", "IN"}

// Country returns c upper-cased if it is one of Countries, or an error.
func Country(c string) (string, error) {
	c = strings.ToUpper(strings.TrimSpace(c))
	for _, k := range Countries {
		if c == k {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown country %q: use one of %s", c, strings.Join(Countries, ", "))
}

// mediaExtensions are the file types Linkup attaches.
var mediaExtensions = []string{".png", ".jpg", ".jpeg", ".mp4", ".pdf"}

// MediaLink checks that s is a public http(s) URL of a file Linkup can
// attach (.png, .jpg, .jpeg, .mp4, .pdf) and returns it trimmed.
func MediaLink(s string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("it is not a web address (https://…)")
	}
	p := strings.ToLower(u.Path)
	for _, ext := range mediaExtensions {
		if strings.HasSuffix(p, ext) {
			return s, nil
		}
	}
	return "", errors.New("it must end in .png, .jpg, .jpeg, .mp4 or .pdf")
}
