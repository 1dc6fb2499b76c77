package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/linkup"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// doctorTimeout bounds each of the doctor's checks.
const doctorTimeout = 15 * time.Second

// Scopes are the bot scopes of slack-app-manifest.yaml, with what each one
// is for. Without a required one the bot cannot work, and doctor fails;
// without an optional one it runs with that part missing, and doctor says
// which.
var Scopes = []struct {
	Name, For string
	Required  bool
}{
	{"commands", "/linkedin-send and the shortcuts", true},
	{"chat:write", "every post: announcements, outcomes, notifications, mirrored replies", true},
	{"chat:write.public", "posting in public channels the bot was not invited to", false},
	{"files:read", "attaching a Slack file with the message shortcut or the form", false},
	{"users:read", "people's names in prefilled messages", false},
	{"channels:read", "channel names in prefilled messages", false},
	{"groups:read", "private channel names in prefilled messages", false},
	{"channels:history", "finding a post again after a crash in public channels (without it a post may appear twice)", false},
	{"groups:history", "the same in private channels", false},
	{"im:history", "the same in DMs", false},
	{"files:write", "uploading a campaign's report to its thread", false},
	{"im:write", "opening a requester's DM for a mirrored reply whose thread Slack refuses, so that it can be read back (without it such a reply may appear twice)", false},
}

// missingScopes is the scope check's failure: required scopes are missing.
type missingScopes struct{ list []string }

func (m *missingScopes) Error() string { return "missing " + strings.Join(m.list, "; ") }

// errLogUnreadable prefixes the accounts check's failure to read the log,
// which is not a key's fault.
var errLogUnreadable = errors.New("the send log could not be read")

// check is one of the doctor's checks: run returns its detail, or an
// error; fix says what to do about that error.
type check struct {
	name string
	run  func(context.Context) (string, error)
	fix  func(error) string
}

// Doctor checks that the bot can run with cfg: its settings (a name that
// looks like a setting and is none, cfg.Unknown, fails), the bot token and its
// scopes (auth.test), a Socket Mode connection opened once (with the app
// token), Linkup (reachable, not refusing the key), DATA_DIR (writable,
// not in use by a running bot) and the stored LinkedIn accounts (ACCOUNTS_KEY
// opens them; which are connected, which expired). It writes one line per check to out, with
// the fix that fits each failure, and returns an error when any failed. It
// sends nothing and spends no credit.
func Doctor(ctx context.Context, cfg Config, api *slack.Client, httpClient *http.Client, out io.Writer) error {
	failed := 0
	if len(cfg.Unknown) == 0 {
		fmt.Fprintln(out, "PASS configuration: every setting is present and well-formed")
	} else {
		failed++
		for _, u := range cfg.Unknown {
			fmt.Fprintf(out, "FAIL configuration: %s\n     fix: %s\n", u, unknownFix(u))
		}
	}
	network := func(setting string) func(error) string {
		return func(err error) string {
			if isNetwork(err) {
				return "this machine cannot reach it: check the network, DNS and proxy, and " + setting + " if it is set"
			}
			return ""
		}
	}
	checks := []check{
		{"Slack bot token (auth.test)", func(ctx context.Context) (string, error) {
			r, err := api.AuthTestContext(ctx)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("workspace %q, bot user @%s", r.Team, r.User), nil
		}, func(err error) string {
			if f := network("SLACK_API_URL")(err); f != "" {
				return f
			}
			return "paste " + tokenHelp["SLACK_BOT_TOKEN"] + " into SLACK_BOT_TOKEN, and check that the app is installed in the workspace"
		}},
		{"Slack bot token scopes", func(ctx context.Context) (string, error) { return scopes(ctx, httpClient, cfg) }, func(err error) string {
			if f := network("SLACK_API_URL")(err); f != "" {
				return f
			}
			var m *missingScopes
			if errors.As(err, &m) {
				return "add the missing scopes under OAuth & Permissions (or recreate the app from slack-app-manifest.yaml), then reinstall the app and paste the new SLACK_BOT_TOKEN"
			}
			return "Slack refused the bot token, so its scopes could not be read: fix SLACK_BOT_TOKEN first (the check above)"
		}},
		{"Slack Socket Mode connection", func(ctx context.Context) (string, error) { return openSocketOnce(ctx, api) }, func(err error) string {
			if f := network("SLACK_API_URL")(err); f != "" {
				return f
			}
			return "paste " + tokenHelp["SLACK_APP_TOKEN"] + " into SLACK_APP_TOKEN, and check that Socket Mode is enabled (Settings → Socket Mode)"
		}},
		{"Linkup", func(ctx context.Context) (string, error) { return linkupCheck(ctx, httpClient, cfg) }, func(err error) string {
			if f := network("LINKUP_BASE_URL")(err); f != "" {
				return f
			}
			var le *linkupError
			if errors.As(err, &le) && le.auth {
				return "check LINKUP_API_KEY in the Linkup dashboard (and that the account has credits)"
			}
			return "Linkup is failing: try again later, or ask Linkup's support"
		}},
		logCheck(cfg),
		{"LinkedIn accounts", func(ctx context.Context) (string, error) { return accountsCheck(ctx, cfg) }, func(err error) string {
			if errors.Is(err, errLogUnreadable) {
				return "the accounts live in the send log: fix the " + cfg.Log().String() + " check above first"
			}
			if errors.Is(err, account.ErrClash) {
				return "keep one account of that name: empty LINKUP_LOGIN_TOKEN, or name the default account otherwise with LINKUP_ACCOUNT_NAME, or remove the stored one with linkedin-bot accounts remove --name " + slackpost.ShellQuote(cfg.LinkupAccountName)
			}
			if errors.Is(err, account.ErrNoKey) {
				return "set ACCOUNTS_KEY to the key the accounts were stored with (linkedin-bot doctor --new-key makes one only for a log with no accounts yet)"
			}
			return "set ACCOUNTS_KEY to the key the accounts were stored with (nothing stored was changed)"
		}},
	}
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, doctorTimeout)
		detail, err := c.run(cctx)
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(out, "FAIL %s: %v\n     fix: %s\n", c.name, err, c.fix(err))
			continue
		}
		fmt.Fprintf(out, "PASS %s: %s\n", c.name, detail)
	}
	fmt.Fprintln(out, "note: Linkup has no free call that checks LINKUP_API_KEY's credits or LINKUP_LOGIN_TOKEN: only a real send (1 credit) does")
	fmt.Fprintln(out, "info reply bridge: "+BridgeConfig(cfg).Summary())
	for _, w := range AccountSafety(cfg) {
		fmt.Fprintln(out, "WARN account safety: "+w)
	}
	if cfg.LinkupDryRun {
		fmt.Fprintln(out, "info DRY RUN (LINKUP_DRY_RUN): the bot will run everything but the Linkup call; nothing is sent, nothing is spent")
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks)+1)
	}
	return nil
}

// unknownFix says what to do about a name that is no setting.
func unknownFix(u Unknown) string {
	fix := "remove it from " + u.Where + ", or rename it to the setting it was meant to be"
	if u.Mean != "" {
		fix = "rename it to " + u.Mean + " in " + u.Where
	}
	if u.Where == WhereEnvironment {
		fix += " (a variable of another program can be left out of the bot's environment: env -u " + u.Name + ")"
	}
	return fix
}

// isNetwork reports whether err is a failure to reach a server at all.
func isNetwork(err error) bool {
	var ue *url.Error
	var ne net.Error
	var de *net.DNSError
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &de) || errors.As(err, &oe)
}

// scopes compares the bot token's scopes, from auth.test's x-oauth-scopes
// header (slack-go does not expose it), with the manifest's.
func scopes(ctx context.Context, c *http.Client, cfg Config) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.SlackAPIURL+"auth.test", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.SlackBotToken)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	if !body.OK {
		return "", fmt.Errorf("auth.test: %s", body.Error)
	}
	header := resp.Header.Get("X-OAuth-Scopes")
	if header == "" {
		return "Slack did not report the token's scopes; they were not checked", nil
	}
	granted := map[string]bool{}
	for _, s := range strings.Split(header, ",") {
		granted[strings.TrimSpace(s)] = true
	}
	var missing, optional []string
	for _, s := range Scopes {
		switch {
		case granted[s.Name]:
		case s.Required:
			missing = append(missing, s.Name+" ("+s.For+")")
		default:
			optional = append(optional, s.Name+" ("+s.For+")")
		}
	}
	if len(missing) > 0 {
		return "", &missingScopes{append(missing, optional...)}
	}
	if len(optional) > 0 {
		return fmt.Sprintf("the required ones; the bot runs without what these optional ones give: %s (add them under OAuth & Permissions and reinstall the app to have it)", strings.Join(optional, "; ")), nil
	}
	return fmt.Sprintf("all %d scopes of the manifest", len(Scopes)), nil
}

// linkupError is a Linkup answer that fails the check.
type linkupError struct {
	status int
	auth   bool
}

func (e *linkupError) Error() string {
	if e.auth {
		return fmt.Sprintf("Linkup refused LINKUP_API_KEY (HTTP %d)", e.status)
	}
	return fmt.Sprintf("Linkup answered HTTP %d", e.status)
}

// linkupCheck calls Linkup without spending anything (a GET of the API's
// root with the key): a 401 or 403 is the key refused, a 5xx Linkup down.
// A dry run never calls Linkup: it is not contacted.
func linkupCheck(ctx context.Context, c *http.Client, cfg Config) (string, error) {
	if cfg.LinkupDryRun {
		return "dry run (LINKUP_DRY_RUN): Linkup is not contacted, so LINKUP_API_KEY and LINKUP_LOGIN_TOKEN are not needed", nil
	}
	if cfg.LinkupAPIVersion == linkup.V2 {
		// v2 has a free call that proves the key: listing one account.
		lk := linkup.New(linkup.Config{BaseURL: cfg.LinkupBaseURL, APIKey: cfg.LinkupAPIKey, HTTPClient: c, Version: linkup.V2})
		switch err := lk.CheckKey(ctx); {
		case err == nil:
			return fmt.Sprintf("API v2 at %s: the key is accepted (GET /v2/accounts, free)", cfg.LinkupBaseURL), nil
		case linkup.AsError(err).Kind == linkup.KindKey:
			return "", &linkupError{status: linkup.AsError(err).Status, auth: true}
		default:
			return "", err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.LinkupBaseURL+"/v1/", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("x-api-key", cfg.LinkupAPIKey)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", &linkupError{status: resp.StatusCode, auth: true}
	case resp.StatusCode >= 500:
		return "", &linkupError{status: resp.StatusCode}
	}
	return fmt.Sprintf("API v1 at %s: answered HTTP %d, without refusing the key", cfg.LinkupBaseURL, resp.StatusCode), nil
}

// dataDirCheck checks that the send log's folder can be written and is not
// locked by a running bot.
func dataDirCheck(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create it: %w", err)
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		return "", fmt.Errorf("cannot write in it: %w", err)
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	unlock, err := store.Lock(dir)
	var locked *store.LockedError
	if errors.As(err, &locked) {
		// A bot running on the folder is what a working set-up looks like.
		if locked.PID > 0 {
			return fmt.Sprintf("writable, a bot is running on it (PID %d)", locked.PID), nil
		}
		return "writable, a bot is running on it", nil
	}
	if err != nil {
		return "", err
	}
	unlock()
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		return "writable, send log present, no bot running on it", nil
	}
	return "writable, no send log yet (the bot creates it)", nil
}

// logCheck checks where the send log lives: DATA_DIR's folder, or
// DATABASE_URL's database.
func logCheck(cfg Config) check {
	if cfg.DatabaseURL != "" {
		return check{cfg.Log().String(), func(ctx context.Context) (string, error) { return store.CheckPostgres(ctx, cfg.DatabaseURL) }, func(err error) string {
			if errors.Is(err, store.ErrNoSchema) {
				return "create the schema in that database (CREATE SCHEMA name;), or fix search_path in DATABASE_URL"
			}
			return "check DATABASE_URL (host, port, user, password, database) and that this machine reaches the server"
		}}
	}
	return check{"DATA_DIR " + cfg.DataDir, func(context.Context) (string, error) { return dataDirCheck(cfg.DataDir) }, func(err error) string {
		return fmt.Sprintf("make the folder writable by this process (uid %d), or set DATA_DIR to one that is", os.Getuid())
	}}
}

// accountsCheck opens the stored accounts with ACCOUNTS_KEY, reading the
// log only, and says which can send and which expired.
func accountsCheck(ctx context.Context, cfg Config) (string, error) {
	def := "no default account (LINKUP_LOGIN_TOKEN empty, none connected as the default)"
	switch {
	case cfg.LinkupLoginToken != "":
		def = "default account " + cfg.LinkupAccountName
	case cfg.LinkupDryRun:
		def = "default account " + cfg.LinkupAccountName + " (dry run: no login token needed)"
	}
	self := "self-service off"
	if cfg.SelfService {
		self = "self-service on (/linkedin-send connect)"
	}
	st, err := store.OpenAtReadOnly(ctx, cfg.Log())
	if errors.Is(err, store.ErrNoLog) {
		return def + "; no send log yet, so no other accounts; " + self, nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", errLogUnreadable, err)
	}
	defer st.Close()
	svc, err := account.New(ctx, st, account.Config{Key: cfg.AccountsKey, DefaultName: cfg.LinkupAccountName,
		DefaultToken: cfg.LinkupLoginToken, DefaultCountry: cfg.LinkupCountry, DryRun: cfg.LinkupDryRun, ReadOnly: true})
	if err != nil {
		return "", err
	}
	if err := svc.Clash(ctx); err != nil {
		return "", err
	}
	if d, ok, err := svc.Default(ctx); err != nil {
		return "", err
	} else if ok && !svc.IsDefault(d.Name) {
		def = "default account " + d.Name + " (connected with accounts connect)"
	}
	as, err := st.Accounts(ctx)
	if err != nil {
		return "", err
	}
	var connected, expired []string
	for _, a := range as {
		if a.State == store.AccountExpired {
			expired = append(expired, a.Name)
		} else {
			connected = append(connected, a.Name)
		}
	}
	detail := fmt.Sprintf("%s; %d connected", def, len(connected))
	if len(connected) > 0 {
		detail += " (" + strings.Join(connected, ", ") + ")"
	}
	if len(expired) > 0 {
		detail += fmt.Sprintf("; %d expired, refused until connected again (%s)", len(expired), strings.Join(expired, ", "))
	}
	return detail + "; " + self, nil
}

// openSocketOnce opens a Socket Mode connection, waits for Slack's hello and closes it.
func openSocketOnce(ctx context.Context, api *slack.Client) (string, error) {
	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil {
		return "", fmt.Errorf("apps.connections.open: %w", err)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		return "", fmt.Errorf("dialing the socket: %w", err)
	}
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	var hello struct {
		Type string `json:"type"`
	}
	_, frame, err := conn.ReadMessage()
	if err != nil {
		return "", fmt.Errorf("waiting for hello: %w", err)
	}
	if json.Unmarshal(frame, &hello) != nil || hello.Type != "hello" {
		return "", errors.New("the first frame was not hello")
	}
	return "connected and received hello", nil
}

// AccountSafety warns of settings that make a LinkedIn account look like a
// robot (see README, "Account safety"): more than 100 sends a day, or
// campaign gaps under 30 s. Doctor prints them; they do not fail it.
func AccountSafety(cfg Config) []string {
	var out []string
	if cfg.DailySendLimit > 100 || cfg.DailySendLimit == 0 {
		out = append(out, fmt.Sprintf("DAILY_SEND_LIMIT is %s: careful outreach tools keep to about 50 messages a day per account; above 100 LinkedIn may restrict it", limitWords(cfg.DailySendLimit)))
	}
	if cfg.CampaignGapMin < 30*time.Second {
		out = append(out, fmt.Sprintf("CAMPAIGN_GAP_MIN is %s: gaps under 30s between a campaign's messages look automated; keep minutes (the default is 90s)", cfg.CampaignGapMin))
	}
	return out
}

func limitWords(n int) string {
	if n == 0 {
		return "0 (no cap)"
	}
	return fmt.Sprint(n)
}
