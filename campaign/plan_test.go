package campaign

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var lim = Limits{MaxRows: 200, MaxMessageLen: 8000, RecontactDays: 30}

func TestParseCSVAcceptsWhatSpreadsheetsWrite(t *testing.T) {
	for name, text := range map[string]string{
		"plain":         "profile_url,first_name\nlinkedin.com/in/jane,Jane\n",
		"BOM and CRLF":  "\uFEFFprofile_url,first_name\r\nlinkedin.com/in/jane,Jane\r\n",
		"semicolons":    "profile_url;first_name\nlinkedin.com/in/jane;Jane\n",
		"quotes":        "\"profile_url\",\"first_name\"\n\"linkedin.com/in/jane\",\"Jane\"\n\n",
		"spaced header": " Profile_URL , First_Name\nlinkedin.com/in/jane,Jane\n",
	} {
		t.Run(name, func(t *testing.T) {
			tb, err := ParseCSV(text)
			require.NoError(t, err)
			assert.Equal(t, []string{"profile_url", "first_name"}, tb.Header)
			require.Len(t, tb.Records, 1)
			assert.Equal(t, "Jane", value(tb.Records[0], 1))
		})
	}
	tb, err := ParseCSV("url,event\nlinkedin.com/in/jane,\"Paris, the meetup\"\n")
	require.NoError(t, err)
	assert.Equal(t, "Paris, the meetup", tb.Records[0][1], "a comma inside quotes is the value's")
	_, err = ParseCSV("url,event\nlinkedin.com/in/jane,\"unclosed\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line")
}

func TestPlanRendersAndSkips(t *testing.T) {
	csv := "profile_url,first_name,event\n" +
		"https://www.linkedin.com/in/jane,Jane,the meetup\n" +
		"not a url,Bob,the meetup\n" +
		"linkedin.com/in/jane/,Jane again,the meetup\n" +
		"linkedin.com/in/old-friend,Old,the meetup\n" +
		"linkedin.com/in/noname,,the meetup\n" +
		"linkedin.com/in/sam,Sam,the fair\n"
	rows, err := Plan(csv, "Hi {first_name}, great to meet you at {Event}!", lim, map[string]bool{"https://www.linkedin.com/in/old-friend": true})
	require.NoError(t, err)
	require.Len(t, rows, 6)
	assert.Equal(t, Row{No: 1, ProfileURL: "https://www.linkedin.com/in/jane", Message: "Hi Jane, great to meet you at the meetup!"}, rows[0])
	assert.Equal(t, SkipInvalidURL, rows[1].Skip)
	assert.Equal(t, SkipDuplicate, rows[2].Skip)
	assert.Equal(t, "already messaged by this account in the last 30 days", rows[3].Skip)
	assert.Equal(t, "empty value for {first_name}", rows[4].Skip)
	assert.Equal(t, "Hi Sam, great to meet you at the fair!", rows[5].Message)
	send, skip := Counts(rows)
	assert.Equal(t, [2]int{2, 4}, [2]int{send, skip})
}

// A person is known by their profile, whatever form of URL names them:
// listed twice under two forms, the second row is a duplicate; messaged
// under another form, the row keeps the recontact rule.
func TestPlanKnowsAPersonWhateverTheirURLsForm(t *testing.T) {
	csv := "profile_url,first_name\n" +
		"https://www.linkedin.com/in/Jane-Doe/,Jane\n" +
		"linkedin.com/in/jane-doe,Jane again\n" +
		"http://fr.linkedin.com/in/JANE-DOE?trk=x,Jane once more\n" +
		"https://linkedin.com/in/Old-Friend,Old\n" +
		"linkedin.com/in/sam,Sam\n"
	rows, err := Plan(csv, "Hi {first_name}", lim, map[string]bool{"https://www.linkedin.com/in/old-friend/": true})
	require.NoError(t, err)
	require.Len(t, rows, 5)
	assert.Equal(t, Row{No: 1, ProfileURL: "https://www.linkedin.com/in/Jane-Doe", Message: "Hi Jane"}, rows[0])
	assert.Equal(t, SkipDuplicate, rows[1].Skip, "the same person, in lower case, without www or its trailing slash")
	assert.Equal(t, SkipDuplicate, rows[2].Skip, "the same person, in upper case, on a country host")
	assert.Equal(t, "already messaged by this account in the last 30 days", rows[3].Skip, "messaged under a URL of another case")
	assert.Empty(t, rows[4].Skip)
	send, skip := Counts(rows)
	assert.Equal(t, [2]int{2, 3}, [2]int{send, skip})
}

func TestPlanRefusesWhatCannotBeACampaign(t *testing.T) {
	cases := []struct {
		name, csv, template string
		limits              Limits
		recipients, tmpl    string
	}{
		{"no url column", "name\nJane\n", "Hi", lim, "no `profile_url` column", ""},
		{"unknown placeholder", "url,name\nlinkedin.com/in/jane,Jane\n", "Hi {first_name} {name} {company}", lim, "", "{first_name}, {company}"},
		{"too many rows", "url\nlinkedin.com/in/a\nlinkedin.com/in/b\nlinkedin.com/in/c\n", "Hi", Limits{MaxRows: 2}, "at most 2", ""},
		{"message too long", "url,name\nlinkedin.com/in/a,A\nlinkedin.com/in/b," + strings.Repeat("x", 50) + "\n", "Hi {name}", Limits{MaxMessageLen: 20}, "", "Row 2"},
		{"empty", "", "Hi", lim, "empty", ""},
		{"header only", "url\n", "Hi", lim, "no recipients", ""},
		{"empty template", "url\nlinkedin.com/in/a\n", "  ", lim, "", "template is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Plan(c.csv, c.template, c.limits, nil)
			var errs Errors
			require.True(t, errors.As(err, &errs), "got %v", err)
			if c.recipients != "" {
				assert.Contains(t, errs.Recipients, c.recipients)
			}
			if c.tmpl != "" {
				assert.Contains(t, errs.Template, c.tmpl)
			}
		})
	}
}

func TestPlaceholdersTakeSpacesAndRefuseStrayBraces(t *testing.T) {
	csv := "url,first_name\nlinkedin.com/in/jane,Jane\n"
	rows, err := Plan(csv, "Hi { first_name }, and {FIRST_NAME}!", lim, nil)
	require.NoError(t, err)
	assert.Equal(t, "Hi Jane, and Jane!", rows[0].Message)
	for _, template := range []string{"Hi {{first_name}}", "Hi {first_name", "Hi first_name}", "Hi { }", "Hi {}"} {
		t.Run(template, func(t *testing.T) {
			_, err := Plan(csv, template, lim, nil)
			var errs Errors
			require.True(t, errors.As(err, &errs), "got %v", err)
			assert.Contains(t, errs.Template, "a { or } that is not part of a placeholder")
		})
	}
	_, err = Plan(csv, "Hi { company }", lim, nil)
	var errs Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	assert.Equal(t, "No column of the CSV is named for {company}; the columns are: url, first_name.", errs.Template, "an unknown placeholder, spaced or not, is refused as before")
}
