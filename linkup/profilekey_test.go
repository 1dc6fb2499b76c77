package linkup

import "testing"

// Two URLs of one member have one key, whatever form they take.
func TestProfileKey(t *testing.T) {
	const jane = "https://www.linkedin.com/in/jane-doe"
	for _, c := range []struct {
		name, a, b string
		same       bool
	}{
		{"identical", jane, jane, true},
		{"case", jane, "https://www.linkedin.com/in/Jane-Doe", true},
		{"trailing slash", jane, jane + "/", true},
		{"no www", jane, "https://linkedin.com/in/jane-doe", true},
		{"no scheme", jane, "www.linkedin.com/in/jane-doe", true},
		{"http", jane, "http://www.linkedin.com/in/jane-doe", true},
		{"query string", jane, "https://www.linkedin.com/in/jane-doe?trk=public_profile", true},
		{"fragment", jane, "https://www.linkedin.com/in/jane-doe#about", true},
		{"country subdomain", jane, "https://fr.linkedin.com/in/jane-doe", true},
		{"mobile host", jane, "https://m.linkedin.com/in/jane-doe/", true},
		{"all at once", jane, " http://linkedin.com/in/JANE-DOE/?trk=x ", true},
		{"escaped slug", "https://www.linkedin.com/in/j%C3%A9r%C3%B4me", "https://fr.linkedin.com/in/jérôme", true},
		{"escaped slug, case", "https://www.linkedin.com/in/J%C3%A9r%C3%B4me", "https://www.linkedin.com/in/jérôme", true},
		{"member ID", "https://www.linkedin.com/in/ACoAAB1234", "https://www.linkedin.com/in/acoaab1234", true},
		{"another member", jane, "https://www.linkedin.com/in/jane-doe-2", false},
		{"another path", jane, "https://www.linkedin.com/company/jane-doe", false},
		{"empty", jane, "", false},
		{"both empty", "", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SameProfile(c.a, c.b); got != c.same {
				t.Errorf("SameProfile(%q, %q) = %v, want %v (keys %q, %q)", c.a, c.b, got, c.same, ProfileKey(c.a), ProfileKey(c.b))
			}
		})
	}
	if got, want := ProfileKey("HTTPS://Linkedin.com/in/Jane-Doe/?trk=x"), jane; got != want {
		t.Errorf("ProfileKey = %q, want %q", got, want)
	}
	if got := ProfileKey(""); got != "" {
		t.Errorf(`ProfileKey("") = %q, want ""`, got)
	}
}
