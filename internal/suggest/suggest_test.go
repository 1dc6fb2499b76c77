package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"LINKUP_DRYRUN", "LINKUP_DRY_RUN", 1},
		{"histroy", "history", 1}, // a swap is one edit
		{"kitten", "sitting", 3},
		{"SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN", 0},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	settings := []string{"LINKUP_DRY_RUN", "LINKUP_API_KEY", "SLACK_API_URL", "SLACK_BOT_TOKEN"}
	for _, c := range []struct {
		word, want string
		near       bool
	}{
		{"LINKUP_DRYRUN", "LINKUP_DRY_RUN", true},
		{"linkup_dry_run", "LINKUP_DRY_RUN", true},
		{"SLACK_BOT_TOKN", "SLACK_BOT_TOKEN", true},
		{"SLACK_WEBHOOK_URL", "SLACK_API_URL", false},
	} {
		got, near := Closest(c.word, settings)
		if got != c.want || near != c.near {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", c.word, got, near, c.want, c.near)
		}
	}
	if _, near := Closest("x", nil); near {
		t.Error("no candidate is near")
	}
}
