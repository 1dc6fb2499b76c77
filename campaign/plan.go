// Package campaign sends one reviewed message to many people: a CSV of
// recipients and a template with {column} placeholders become rows, each
// sent through the send pipeline with its own idempotency key, paced like
// a careful person (random gaps, working hours, the daily cap shared with
// manual sends) and stopped by a click.
//
// plan.go holds the pure part: reading the CSV, rendering the template,
// and deciding which rows are skipped and why.
package campaign

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"linkedin-bot/linkup"
)

// Skip reasons, one per row that cannot be sent.
const (
	SkipInvalidURL = "invalid profile URL"
	SkipDuplicate  = "recipient listed twice"
	SkipRecontact  = "already messaged by this account in the last %d days"
	SkipEmptyValue = "empty value for {%s}"
)

// urlColumns are the accepted names of the recipients' column, best first.
var urlColumns = []string{"profile_url", "linkedin_url", "url"}

// placeholder is a {column} in a template, spaces inside its braces
// allowed ({ first_name }).
var placeholder = regexp.MustCompile(`\{\s*([^{}\s][^{}]*?)\s*\}`)

// Limits bound what a plan accepts.
type Limits struct {
	MaxRows       int // CAMPAIGN_MAX_ROWS
	MaxMessageLen int // MAX_MESSAGE_LENGTH
	RecontactDays int // CAMPAIGN_RECONTACT_DAYS
}

// Errors says what makes a campaign's form invalid, per field, in words
// for its author; empty when it is valid.
type Errors struct {
	Recipients string
	Template   string
}

func (e Errors) Error() string { return strings.TrimSpace(e.Recipients + " " + e.Template) }

// Empty reports whether there is no error.
func (e Errors) Empty() bool { return e.Recipients == "" && e.Template == "" }

// sentence is an error worded for the form's author.
type sentence string

func (s sentence) Error() string { return string(s) }

// Row is one recipient as planned: its message, or why it is skipped.
type Row struct {
	No         int // 1 for the first line after the header
	ProfileURL string
	Message    string
	Skip       string // empty when it is to be sent
}

// Table is a parsed CSV: its header (column names, lower case, trimmed)
// and its records.
type Table struct {
	Header  []string
	Records [][]string
}

// ParseCSV reads CSV text with a header row: a UTF-8 BOM, CRLF line ends,
// quoted fields and ";" as separator (when the header has more ";" than
// ",") are accepted. Blank lines are ignored; a short record's missing
// fields are empty.
func ParseCSV(text string) (Table, error) {
	text = strings.TrimPrefix(text, "\uFEFF")
	if strings.TrimSpace(text) == "" {
		return Table{}, sentence("The recipients are empty: paste a CSV with a header row, such as `profile_url,first_name`.")
	}
	first, _, _ := strings.Cut(text, "\n")
	r := csv.NewReader(strings.NewReader(text))
	if strings.Count(first, ";") > strings.Count(first, ",") {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var t Table
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Table{}, sentence(fmt.Sprintf("The recipients are not valid CSV: line %d: %s.", pe.Line, pe.Err))
			}
			return Table{}, sentence(fmt.Sprintf("The recipients are not valid CSV: %s.", err))
		}
		if t.Header == nil {
			for _, h := range rec {
				t.Header = append(t.Header, strings.ToLower(strings.TrimSpace(h)))
			}
			continue
		}
		blank := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				blank = false
			}
		}
		if !blank {
			t.Records = append(t.Records, rec)
		}
	}
	return t, nil
}

// column is the index of name in the header, or -1.
func (t Table) column(name string) int {
	for i, h := range t.Header {
		if h == name {
			return i
		}
	}
	return -1
}

// value is record rec's field at column i, trimmed ("" when short).
func value(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// Placeholders are the distinct {column} names in template, in order,
// lower case.
func Placeholders(template string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		name := strings.ToLower(strings.TrimSpace(m[1]))
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// Render fills template's placeholders from vars (keyed by lower-case
// column name); a placeholder without a value is left as it is.
func Render(template string, vars map[string]string) string {
	return placeholder.ReplaceAllStringFunc(template, func(m string) string {
		name := strings.ToLower(strings.TrimSpace(m[1 : len(m)-1]))
		if v, ok := vars[name]; ok {
			return v
		}
		return m
	})
}

// Plan reads csvText and template into rows. messaged are the recipients
// (profile URLs, in any form) the account messaged in the last
// RecontactDays. A recipient is known by its linkup.ProfileKey, so that
// the same person under two forms of URL (case, a trailing slash, a host
// without www) is listed twice, or was messaged, all the same. A form
// that cannot become a campaign is Errors.
func Plan(csvText, template string, lim Limits, messaged map[string]bool) ([]Row, error) {
	var errs Errors
	t, err := ParseCSV(csvText)
	if err != nil {
		errs.Recipients = err.Error()
	}
	if strings.TrimSpace(template) == "" {
		errs.Template = "The template is empty: write the message, with {column} placeholders."
	}
	if !errs.Empty() {
		return nil, errs
	}
	urlCol := -1
	for _, name := range urlColumns {
		if urlCol = t.column(name); urlCol >= 0 {
			break
		}
	}
	switch {
	case urlCol < 0:
		errs.Recipients = "The CSV has no `profile_url` column (also accepted: `linkedin_url`, `url`) in its header row."
	case len(t.Records) == 0:
		errs.Recipients = "The CSV has a header row but no recipients."
	case lim.MaxRows > 0 && len(t.Records) > lim.MaxRows:
		errs.Recipients = fmt.Sprintf("The CSV has %d recipients; a campaign takes at most %d (CAMPAIGN_MAX_ROWS).", len(t.Records), lim.MaxRows)
	}
	var missing []string
	for _, p := range Placeholders(template) {
		if t.column(p) < 0 {
			missing = append(missing, "{"+p+"}")
		}
	}
	if len(missing) > 0 {
		errs.Template = fmt.Sprintf("No column of the CSV is named for %s; the columns are: %s.", strings.Join(missing, ", "), strings.Join(t.Header, ", "))
	}
	if strings.ContainsAny(placeholder.ReplaceAllString(template, ""), "{}") {
		// Left as it is, it would be sent: "{{first_name}}" as "{Jane}".
		errs.Template = strings.TrimSpace(errs.Template + " The template has a { or } that is not part of a placeholder: write each placeholder as {column}, with one pair of braces.")
	}
	if !errs.Empty() {
		return nil, errs
	}

	rows := make([]Row, 0, len(t.Records))
	seen := map[string]bool{} // by profile key
	messaged = byProfile(messaged)
	for i, rec := range t.Records {
		row := Row{No: i + 1, ProfileURL: value(rec, urlCol)}
		vars := map[string]string{}
		for j, h := range t.Header {
			vars[h] = value(rec, j)
		}
		url, err := linkup.ProfileURL(row.ProfileURL)
		key := linkup.ProfileKey(url)
		switch {
		case err != nil:
			row.Skip = SkipInvalidURL
		case seen[key]:
			row.ProfileURL, row.Skip = url, SkipDuplicate
		case messaged[key]:
			row.ProfileURL, row.Skip = url, fmt.Sprintf(SkipRecontact, lim.RecontactDays)
		default:
			row.ProfileURL = url
		}
		if err == nil {
			seen[key] = true
		}
		if row.Skip == "" {
			for _, p := range Placeholders(template) {
				if vars[p] == "" {
					row.Skip = fmt.Sprintf(SkipEmptyValue, p)
					break
				}
			}
		}
		if row.Skip == "" {
			row.Message = strings.TrimSpace(Render(template, vars))
			if n := utf8.RuneCountInString(row.Message); lim.MaxMessageLen > 0 && n > lim.MaxMessageLen {
				return nil, Errors{Template: fmt.Sprintf("Row %d's message would be %d characters; a message takes at most %d.", row.No, n, lim.MaxMessageLen)}
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Counts are how many rows a plan sends and skips.
func Counts(rows []Row) (send, skip int) {
	for _, r := range rows {
		if r.Skip == "" {
			send++
		} else {
			skip++
		}
	}
	return send, skip
}

// CSVText is a quick check that text looks like a file's CSV content worth
// prefilling: valid UTF-8, no NUL byte.
func CSVText(b []byte) bool { return utf8.Valid(b) && !bytes.ContainsRune(b, 0) }

// byProfile is the set of profile URLs urls (as store.Messaged returns
// them, each as it was written) keyed by linkup.ProfileKey.
func byProfile(urls map[string]bool) map[string]bool {
	keys := make(map[string]bool, len(urls))
	for u, ok := range urls {
		if ok {
			keys[linkup.ProfileKey(u)] = true
		}
	}
	return keys
}
