package conversation

import "testing"

// A message event's sender_profile is matched to a watched conversation
// by the member it names, whatever form the URL takes.
func TestSameProfile(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://www.linkedin.com/in/jane-doe", "https://www.linkedin.com/in/jane-doe", true},
		{"https://www.linkedin.com/in/jane-doe", "https://linkedin.com/in/Jane-Doe/", true},
		{"https://www.linkedin.com/in/jane-doe", "www.linkedin.com/in/jane-doe?trk=x", true},
		{"https://www.linkedin.com/in/j%C3%A9r%C3%B4me", "https://fr.linkedin.com/in/jérôme", true},
		{"https://www.linkedin.com/in/ACoAAB1234", "https://www.linkedin.com/in/acoaab1234", true},
		{"https://www.linkedin.com/in/jane-doe", "https://www.linkedin.com/in/jane-doe-2", false},
		{"https://www.linkedin.com/in/jane-doe", "", false},
		{"", "", false},
	} {
		if got := sameProfile(c.a, c.b); got != c.same {
			t.Errorf("sameProfile(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
