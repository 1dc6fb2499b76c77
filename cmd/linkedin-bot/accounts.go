package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"golang.org/x/term"

	"linkedin-bot/account"
	"linkedin-bot/bot"
	"linkedin-bot/internal/suggest"
	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

const accountsUsage = `usage: linkedin-bot accounts COMMAND [flags]   (accounts COMMAND -h: its flags)

  list                                          every account: name, kind, state, users, owner, country,
                                                connected at (reads only; needs no ACCOUNTS_KEY)
  connect --name NAME [--country FR] [--user U…]…
                                                log a LinkedIn account in: asks for its email and password
                                                (not echoed), and for the emailed code if LinkedIn wants one
                                                (on Linkup v2, or for an approval in the LinkedIn app)
  connect --name NAME --token-stdin [--user U…]…
                                                store an existing login token read from standard input
  assign --name NAME --user U…                  let a Slack user send from the account
  unassign --name NAME --user U…                stop it
  remove --name NAME                            remove the account and its token (its sends stay in the log)
  rekey                                         re-seal every token from the old key (ACCOUNTS_KEY_OLD, or
                                                standard input) to ACCOUNTS_KEY

An account connected for one user is theirs; with several users it is shared.
The default account, which everyone allowed to send may use, is connected with
--name default (LINKUP_ACCOUNT_NAME, when set, names it) and no --user.
Connecting a name that exists reconnects it (same history and daily count).
Tokens are stored only encrypted with ACCOUNTS_KEY; passwords never are.
These work while the bot runs; it sees the change at its next send.
`

// accountsCommands are the accounts subcommands, each with its usage line.
var accountsCommands = []struct{ name, usage string }{
	{"list", "list"},
	{"connect", "connect --name NAME [--country FR] [--user U…]… [--token-stdin]"},
	{"assign", "assign --name NAME --user U… [--user U…]…"},
	{"unassign", "unassign --name NAME --user U… [--user U…]…"},
	{"remove", "remove --name NAME"},
	{"rekey", "rekey"},
}

// accountsFlags are the flags of the accounts subcommands: each defines
// only its own.
type accountsFlags struct {
	name, country string
	tokenStdin    bool
	who           users
}

// flagsOf returns sub's flag set, writing its errors to stderr.
func flagsOf(sub, usage string, f *accountsFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("accounts "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if sub != "list" && sub != "rekey" {
		fs.StringVar(&f.name, "name", "", "the account's name (required)")
	}
	if sub == "connect" {
		fs.StringVar(&f.country, "country", "", "proxy country of the login (default LINKUP_COUNTRY, else FR)")
		fs.BoolVar(&f.tokenStdin, "token-stdin", false, "read an existing login token from standard input instead of logging in")
	}
	switch sub {
	case "connect":
		fs.Var(&f.who, "user", "a Slack user ID who may send from it (repeatable; one alone makes it theirs)")
	case "assign", "unassign":
		fs.Var(&f.who, "user", "a Slack user ID (required, repeatable)")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: linkedin-bot accounts %s\n", usage)
		if strings.Contains(usage, "--") {
			fmt.Fprintln(fs.Output())
			fs.PrintDefaults()
		}
	}
	return fs
}

// users collects repeated --user flags.
type users []string

func (u *users) String() string { return strings.Join(*u, ",") }

func (u *users) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "" || !(strings.HasPrefix(v, "U") || strings.HasPrefix(v, "W")) {
		return fmt.Errorf("%q is not a Slack user ID such as U0123456789", v)
	}
	*u = append(*u, v)
	return nil
}

// accountsCmd runs `linkedin-bot accounts …`.
func accountsCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, accountsUsage)
		return nil
	}
	sub, usage := args[0], ""
	names := make([]string, len(accountsCommands))
	for i, c := range accountsCommands {
		names[i] = c.name
		if c.name == sub {
			usage = c.usage
		}
	}
	if usage == "" { // the error alone: the usage would bury it
		if mean, ok := suggest.Closest(sub, names); ok {
			return fmt.Errorf("unknown accounts command %q; did you mean %s? (the commands: %s)", sub, mean, strings.Join(names, ", "))
		}
		return fmt.Errorf("unknown accounts command %q: use one of %s", sub, strings.Join(names, ", "))
	}
	var f accountsFlags
	fs := flagsOf(sub, usage, &f, stderr)
	if wantsHelp(args[1:]) {
		fs.SetOutput(stdout) // asked for: the help goes to stdout, once
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("accounts %s: %w", sub, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("accounts %s: unexpected argument %q", sub, fs.Arg(0))
	}
	name, who := &f.name, f.who
	if fs.Lookup("name") != nil && strings.TrimSpace(*name) == "" {
		return fmt.Errorf("accounts %s: --name is required", sub)
	}
	if (sub == "assign" || sub == "unassign") && len(who) == 0 {
		return fmt.Errorf("accounts %s: --user is required", sub)
	}
	where := bot.LogAt(getenv)
	if sub == "list" {
		// Reads only: it creates, upgrades and opens nothing, and needs no key.
		st, err := store.OpenAtReadOnly(ctx, where)
		if errors.Is(err, store.ErrNoLog) {
			fmt.Fprintf(stdout, "No accounts: %v.\n", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("accounts list: %w", err)
		}
		defer st.Close()
		return listAccounts(ctx, st, getenv, stdout)
	}
	if sub == "connect" && strings.IndexFunc(*name, func(r rune) bool { return unicode.IsControl(r) || r == '`' }) >= 0 {
		return errors.New("accounts connect: --name: must be on one line, without control characters or backticks (it is shown in terminals and in Slack)")
	}

	st, err := store.OpenAt(ctx, where)
	if err != nil {
		return fmt.Errorf("%s: send log: %w%s", where, err, permissionHint(err))
	}
	defer st.Close()
	if sub == "rekey" {
		return rekey(ctx, st, getenv, stdin, stdout)
	}
	defName, defToken, err := bot.DefaultAccountAt(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	svc, err := account.New(ctx, st, account.Config{Key: getenv("ACCOUNTS_KEY"), DefaultName: defName, DefaultToken: defToken})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	switch sub {
	case "assign", "unassign":
		for _, u := range who {
			if sub == "assign" {
				err = st.Assign(ctx, *name, u)
			} else {
				err = st.Unassign(ctx, *name, u)
			}
			if errors.Is(err, store.ErrNoAccount) {
				return fmt.Errorf("accounts %s: there is no account %q (accounts list shows them); nothing was changed", sub, *name)
			}
			if errors.Is(err, store.ErrIsDefault) {
				return fmt.Errorf("accounts %s: %w; nothing was changed", sub, err)
			}
			if err != nil {
				return fmt.Errorf("accounts %s: %w", sub, err)
			}
		}
		fmt.Fprintf(stdout, "%s: %s %s\n", *name, map[string]string{"assign": "may now be used by", "unassign": "may no longer be used by"}[sub], strings.Join(who, ", "))
		return nil
	case "remove":
		if err := st.RemoveAccount(ctx, *name); errors.Is(err, store.ErrNoAccount) {
			return fmt.Errorf("accounts remove: there is no account %q (accounts list shows them)", *name)
		} else if err != nil {
			return fmt.Errorf("accounts remove: %w", err)
		}
		fmt.Fprintf(stdout, "%s: removed; its sends stay in the log\n", *name)
		return nil
	case "connect":
		c := f.country
		if c == "" {
			c = strings.TrimSpace(getenv("LINKUP_COUNTRY"))
		}
		if c == "" {
			c = "FR"
		}
		if c, err = linkup.Country(c); err != nil {
			return fmt.Errorf("accounts connect: --country: %w", err)
		}
		if err := svc.MayConnect(ctx, *name, who); err != nil { // before a login spends anything
			return fmt.Errorf("accounts connect: %w", err)
		}
		var cred account.Credential
		if f.tokenStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("accounts connect: reading the token: %w", err)
			}
			if cred.Token = strings.TrimSpace(line); cred.Token == "" {
				return errors.New("accounts connect: no token on standard input")
			}
		} else if cred, err = login(ctx, getenv, c, stdin, stdout); err != nil {
			return err
		}
		if err := svc.Connect(ctx, *name, c, cred, who, "command line"); err != nil {
			if errors.Is(err, store.ErrOwned) {
				return fmt.Errorf("accounts connect: %w: reconnect that one with its --name, or connect this one without --user and assign it", err)
			}
			return fmt.Errorf("accounts connect: %w", err)
		}
		kind := "no users yet: let people send from it with accounts assign"
		switch {
		case *name == defName:
			kind = "the default account: everyone allowed to send who has no account of their own or a shared one sends from it"
		case len(who) == 0:
		case len(who) == 1:
			kind = "own account of " + who[0]
		default:
			kind = "shared by " + strings.Join(who, ", ")
		}
		if cred.Token == "" { // a v2 login that gave the account's ID alone
			fmt.Fprintf(stdout, "%s: connected on Linkup v2 (%s, %s); its Linkup account is stored encrypted\n", *name, c, kind)
			return nil
		}
		fmt.Fprintf(stdout, "%s: connected (%s, %s); the token is stored encrypted\n", *name, c, kind)
		return nil
	default:
		fmt.Fprint(stderr, accountsUsage)
		return fmt.Errorf("accounts: unknown command %q", sub)
	}
}

// listAccounts prints the stored accounts, and the default one when
// LINKUP_LOGIN_TOKEN sets it; it opens no token.
func listAccounts(ctx context.Context, st *store.Store, getenv func(string) string, w io.Writer) error {
	as, err := st.Accounts(ctx)
	if err != nil {
		return err
	}
	if strings.TrimSpace(getenv("LINKUP_LOGIN_TOKEN")) != "" {
		fmt.Fprintf(w, "Default account: %s (LINKUP_LOGIN_TOKEN), for everyone allowed to send who has no other.\n", defaultName(getenv))
	}
	if len(as) == 0 {
		fmt.Fprintln(w, "No stored accounts. Connect one with: linkedin-bot accounts connect --name NAME --user U…")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tUSERS\tCOUNTRY\tCONNECTED (UTC)\tBY\tOWNER\tKIND")
	for _, a := range as {
		users := strings.Join(a.Users, ",")
		if users == "" {
			users = "-"
		}
		owner, kind := a.Owner, "shared"
		switch {
		case a.Default:
			owner, kind = "-", "default (everyone allowed)"
			if a.Name != defaultName(getenv) {
				kind = "was the default: LINKUP_ACCOUNT_NAME names another (accounts remove it)"
			}
		case owner != "":
			kind = "own"
		case len(a.Users) == 0:
			owner, kind = "-", "no users yet (accounts assign)"
		default:
			owner = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.State, users, a.Country, a.ConnectedAt.Format(time.DateTime), a.ConnectedBy, owner, kind)
	}
	return tw.Flush()
}

// defaultName is the default account's name: LINKUP_ACCOUNT_NAME, else
// "default".
func defaultName(getenv func(string) string) string {
	if name := strings.TrimSpace(getenv("LINKUP_ACCOUNT_NAME")); name != "" {
		return name
	}
	return "default"
}

// rekey runs `linkedin-bot accounts rekey`: every token re-sealed from the
// old key (ACCOUNTS_KEY_OLD, which wins, else standard input's first line)
// to ACCOUNTS_KEY, in one transaction.
func rekey(ctx context.Context, st *store.Store, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	newKey := strings.TrimSpace(getenv("ACCOUNTS_KEY"))
	if newKey == "" {
		return errors.New("accounts rekey: ACCOUNTS_KEY: set it to the new key (generate one with `linkedin-bot doctor --new-key`)")
	}
	if _, err := account.New(ctx, st, account.Config{Key: newKey}); err == nil {
		fmt.Fprintln(stdout, "Nothing to re-seal: no account is stored, or they are sealed with ACCOUNTS_KEY already. Run the bot with ACCOUNTS_KEY.")
		return nil
	}
	oldKey := strings.TrimSpace(getenv(bot.AccountsKeyOld))
	if oldKey == "" {
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fmt.Fprint(stdout, "The old ACCOUNTS_KEY (not shown): ")
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stdout)
			if err != nil {
				return fmt.Errorf("accounts rekey: reading the old key: %w", err)
			}
			oldKey = strings.TrimSpace(string(b))
		} else {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("accounts rekey: reading the old key: %w", err)
			}
			oldKey = strings.TrimSpace(line)
		}
	}
	if oldKey == "" {
		return errors.New("accounts rekey: the old key: set ACCOUNTS_KEY_OLD, or give it on standard input")
	}
	if oldKey == newKey {
		return errors.New("accounts rekey: ACCOUNTS_KEY_OLD and ACCOUNTS_KEY are the same key: set ACCOUNTS_KEY to the new one")
	}
	n, done, err := account.Rekey(ctx, st, oldKey, newKey)
	if err != nil {
		return fmt.Errorf("accounts rekey: %w", err)
	}
	if !done {
		fmt.Fprintln(stdout, "Nothing to re-seal: no account is stored, or they are sealed with ACCOUNTS_KEY already. Run the bot with ACCOUNTS_KEY.")
		return nil
	}
	fmt.Fprintf(stdout, "Re-sealed %d tokens under the new ACCOUNTS_KEY. Restart every bot with the new ACCOUNTS_KEY now: until then, a bot still running with the old key sends nothing from the stored accounts (their sends fail, saying so) and stores nothing.\n", n)
	return nil
}

// login asks for the account's email and password (without echo), logs it
// in at Linkup (through LINKUP_API_VERSION's endpoints), asks for the
// emailed code or the approval in the LinkedIn app when LinkedIn wants one,
// and returns what the login gave.
func login(ctx context.Context, getenv func(string) string, country string, stdin io.Reader, out io.Writer) (account.Credential, error) {
	// The password, the code and the API key go to LINKUP_BASE_URL: never
	// over plain http to another machine, as the bot refuses at start.
	base, err := bot.URLSetting(getenv, "LINKUP_BASE_URL", "")
	if err != nil {
		return account.Credential{}, fmt.Errorf("configuration: %w", err)
	}
	version, err := linkup.ParseVersion(getenv("LINKUP_API_VERSION"))
	if err != nil {
		return account.Credential{}, fmt.Errorf("configuration: LINKUP_API_VERSION: %w", err)
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return account.Credential{}, errors.New("accounts connect: the password is asked for on a terminal; without one, pass an existing token with --token-stdin")
	}
	key := strings.TrimSpace(getenv("LINKUP_API_KEY"))
	if key == "" {
		return account.Credential{}, errors.New("configuration: LINKUP_API_KEY: is required to log an account in")
	}
	client := linkup.New(linkup.Config{BaseURL: strings.TrimSuffix(strings.TrimRight(base, "/"), "/v1"), APIKey: key, HTTPClient: newHTTPClient(0), Version: version})
	in := bufio.NewReader(f)
	return logIn(ctx, client, country, prompts{
		line: func(prompt string) (string, error) {
			fmt.Fprint(out, prompt)
			return in.ReadString('\n')
		},
		secret: func(prompt string) ([]byte, error) {
			fmt.Fprint(out, prompt)
			defer fmt.Fprintln(out)
			return term.ReadPassword(int(f.Fd()))
		},
	})
}

// loginFailure says what became of a login step (what: "login" or
// "code") that failed with err: refused, or not known.
func loginFailure(err error, what string) string {
	switch linkup.AsError(err).Kind {
	case linkup.KindUnreachable:
		return "Linkup could not be reached, so the " + what + " was not sent"
	case linkup.KindUnknown:
		return "Linkup gave no clear answer, so whether the " + what + " went through is not known; wait a few minutes before trying again"
	case linkup.KindRateLimited:
		return "Linkup's rate limit was reached; wait a minute before trying again"
	}
	return "Linkup refused the " + what
}

// prompts asks the operator for a line, or for a secret without echo.
type prompts struct {
	line   func(prompt string) (string, error)
	secret func(prompt string) ([]byte, error)
}

// logIn logs an account in at Linkup, asking ask for the email, the
// password and, when LinkedIn wants one, the emailed code (v1's verify,
// v2's checkpoint) or, on v2, an approval in the LinkedIn app, checked
// each time the operator presses Enter (at most maxApprovalChecks times).
// Each Linkup call is made once: a login costs credits and, repeated, can
// lock the account.
func logIn(ctx context.Context, client *linkup.Client, country string, ask prompts) (account.Credential, error) {
	email, err := ask.line("LinkedIn email: ")
	if err != nil {
		return account.Credential{}, fmt.Errorf("reading the email: %w", err)
	}
	pw, err := ask.secret("LinkedIn password (not shown, never stored): ")
	if err != nil {
		return account.Credential{}, fmt.Errorf("reading the password: %w", err)
	}
	res, err := client.Login(ctx, strings.TrimSpace(email), string(pw), country)
	clear(pw)
	if err != nil {
		return account.Credential{}, fmt.Errorf("accounts connect: %s (not retried: each try costs credits and can lock the account): %w", loginFailure(err, "login"), err)
	}
	switch {
	case res.NeedsApproval:
		return approve(ctx, client, res, ask)
	case !res.NeedsCode:
		return credentialOf(res, "the login")
	}
	code, err := ask.line("LinkedIn sent a code by email. Code: ")
	if err != nil {
		return account.Credential{}, fmt.Errorf("reading the code: %w", err)
	}
	if res.AccountID != "" { // v2
		res, err = client.Checkpoint(ctx, res.AccountID, strings.TrimSpace(code))
	} else {
		res, err = client.Verify(ctx, strings.TrimSpace(email), strings.TrimSpace(code), country)
	}
	if err != nil {
		return account.Credential{}, fmt.Errorf("accounts connect: %s (not retried): %w", loginFailure(err, "code"), err)
	}
	return credentialOf(res, "the code")
}

// maxApprovalChecks bounds the checks of an approval in the LinkedIn app.
const maxApprovalChecks = 5

// approve asks the operator to approve login res in the LinkedIn app and
// to press Enter, then checks it (POST /v2/checkpoint without a code), once
// per Enter; "q" gives up.
func approve(ctx context.Context, client *linkup.Client, res linkup.LoginResult, ask prompts) (account.Credential, error) {
	prompt := "LinkedIn asks to approve this login in the LinkedIn app: approve the sign-in on your phone, then press Enter here (q to give up): "
	for range maxApprovalChecks {
		answer, err := ask.line(prompt)
		if err != nil {
			return account.Credential{}, fmt.Errorf("reading the answer: %w", err)
		}
		if strings.EqualFold(strings.TrimSpace(answer), "q") {
			return account.Credential{}, errors.New("accounts connect: given up before LinkedIn confirmed the approval; nothing was stored")
		}
		got, err := client.Checkpoint(ctx, res.AccountID, "")
		var le *linkup.Error
		switch {
		case errors.As(err, &le) && le.Kind == linkup.KindInvalid:
			prompt = fmt.Sprintf("LinkedIn has not confirmed the approval yet (Linkup: %s). Approve it in the app, then press Enter (q to give up): ", le.Message)
		case err != nil:
			return account.Credential{}, fmt.Errorf("accounts connect: %s (not retried): %w", loginFailure(err, "approval check"), err)
		case got.NeedsApproval:
			prompt = "LinkedIn has not confirmed the approval yet. Approve it in the app, then press Enter (q to give up): "
		default:
			return credentialOf(got, "the approval")
		}
	}
	return account.Credential{}, fmt.Errorf("accounts connect: LinkedIn did not confirm the approval after %d checks; nothing was stored: connect again", maxApprovalChecks)
}

// credentialOf is what a completed login res gave; after names the step
// it followed, for the error when it gave nothing to store.
func credentialOf(res linkup.LoginResult, after string) (account.Credential, error) {
	if !res.Connected() {
		if res.AccountID == "" {
			return account.Credential{}, fmt.Errorf("accounts connect: Linkup gave no login token after %s (%s)", after, res.Message)
		}
		return account.Credential{}, fmt.Errorf("accounts connect: LinkedIn still asks for a challenge after %s (%s); nothing was stored: connect again", after, res.Message)
	}
	return account.Credential{Token: res.Token, AccountID: res.AccountID}, nil
}
