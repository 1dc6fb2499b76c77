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
	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

const accountsUsage = `usage: linkedin-bot accounts COMMAND [flags]

  list                                          every account: name, state, users, country, connected at
  connect --name NAME [--country FR] [--user U…]…
                                                log a LinkedIn account in: asks for its email and password
                                                (not echoed), and for the emailed code if LinkedIn wants one
  connect --name NAME --token-stdin [--user U…]…
                                                store an existing login token read from standard input
  assign --name NAME --user U…                  let a Slack user send from the account
  unassign --name NAME --user U…                stop it
  remove --name NAME                            remove the account and its token (its sends stay in the log)

An account connected for one user is theirs; with several users it is shared.
Connecting a name that exists reconnects it (same history and daily count).
Tokens are stored only encrypted with ACCOUNTS_KEY; passwords never are.
These work while the bot runs; it sees the change at its next send.
`

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
	sub := args[0]
	fs := flag.NewFlagSet("accounts "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the account's name")
	country := fs.String("country", "", "proxy country of the login (default LINKUP_COUNTRY)")
	tokenStdin := fs.Bool("token-stdin", false, "read an existing login token from standard input")
	var who users
	fs.Var(&who, "user", "a Slack user ID (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("accounts %s: %w", sub, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("accounts %s: unexpected argument %q", sub, fs.Arg(0))
	}
	if sub != "list" && sub != "rekey" && strings.TrimSpace(*name) == "" {
		return fmt.Errorf("accounts %s: --name is required", sub)
	}
	if sub == "connect" && strings.IndexFunc(*name, func(r rune) bool { return unicode.IsControl(r) || r == '`' }) >= 0 {
		return errors.New("accounts connect: --name: must be on one line, without control characters or backticks (it is shown in terminals and in Slack)")
	}

	where := bot.LogAt(getenv)
	st, err := store.OpenAt(ctx, where)
	if err != nil {
		return fmt.Errorf("%s: send log: %w%s", where, err, permissionHint(err))
	}
	defer st.Close()
	if sub == "rekey" {
		return rekey(ctx, st, getenv, stdin, stdout)
	}
	svc, err := account.New(ctx, st, account.Config{Key: getenv("ACCOUNTS_KEY")})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	switch sub {
	case "list":
		return listAccounts(ctx, st, stdout)
	case "assign", "unassign":
		if len(who) == 0 {
			return fmt.Errorf("accounts %s: --user is required", sub)
		}
		for _, u := range who {
			if sub == "assign" {
				err = st.Assign(ctx, *name, u)
			} else {
				err = st.Unassign(ctx, *name, u)
			}
			if err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "%s: %s %s\n", *name, map[string]string{"assign": "may now be used by", "unassign": "may no longer be used by"}[sub], strings.Join(who, ", "))
		return nil
	case "remove":
		if err := st.RemoveAccount(ctx, *name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: removed; its sends stay in the log\n", *name)
		return nil
	case "connect":
		c := *country
		if c == "" {
			c = strings.TrimSpace(getenv("LINKUP_COUNTRY"))
		}
		if c == "" {
			c = "FR"
		}
		if c, err = linkup.Country(c); err != nil {
			return fmt.Errorf("accounts connect: --country: %w", err)
		}
		var token string
		if *tokenStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("accounts connect: reading the token: %w", err)
			}
			if token = strings.TrimSpace(line); token == "" {
				return errors.New("accounts connect: no token on standard input")
			}
		} else if token, err = login(ctx, getenv, c, stdin, stdout); err != nil {
			return err
		}
		if err := svc.Connect(ctx, *name, c, token, who, "command line"); err != nil {
			if errors.Is(err, store.ErrOwned) {
				return fmt.Errorf("accounts connect: %w: reconnect that one with its --name, or connect this one without --user and assign it", err)
			}
			return fmt.Errorf("accounts connect: %w", err)
		}
		kind := "no users yet: let people send from it with accounts assign"
		switch len(who) {
		case 0:
		case 1:
			kind = "own account of " + who[0]
		default:
			kind = "shared by " + strings.Join(who, ", ")
		}
		fmt.Fprintf(stdout, "%s: connected (%s, %s); the token is stored encrypted\n", *name, c, kind)
		return nil
	default:
		fmt.Fprint(stderr, accountsUsage)
		return fmt.Errorf("accounts: unknown command %q", sub)
	}
}

func listAccounts(ctx context.Context, st *store.Store, w io.Writer) error {
	as, err := st.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		fmt.Fprintln(w, "No accounts. Connect one with: linkedin-bot accounts connect --name NAME --user U…")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tUSERS\tCOUNTRY\tCONNECTED (UTC)\tBY\tOWNER")
	for _, a := range as {
		users := strings.Join(a.Users, ",")
		if users == "" {
			users = "-"
		}
		owner := a.Owner
		if owner == "" {
			owner = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.State, users, a.Country, a.ConnectedAt.Format(time.DateTime), a.ConnectedBy, owner)
	}
	return tw.Flush()
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
	oldKey := strings.TrimSpace(getenv("ACCOUNTS_KEY_OLD"))
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
// in at Linkup, asks for the emailed code when LinkedIn wants one, and
// returns the login token.
func login(ctx context.Context, getenv func(string) string, country string, stdin io.Reader, out io.Writer) (string, error) {
	// The password, the code and the API key go to LINKUP_BASE_URL: never
	// over plain http to another machine, as the bot refuses at start.
	base, err := bot.URLSetting(getenv, "LINKUP_BASE_URL", "")
	if err != nil {
		return "", fmt.Errorf("configuration: %w", err)
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("accounts connect: the password is asked for on a terminal; without one, pass an existing token with --token-stdin")
	}
	key := strings.TrimSpace(getenv("LINKUP_API_KEY"))
	if key == "" {
		return "", errors.New("configuration: LINKUP_API_KEY: is required to log an account in")
	}
	client := linkup.New(linkup.Config{BaseURL: strings.TrimSuffix(strings.TrimRight(base, "/"), "/v1"), APIKey: key, HTTPClient: newHTTPClient(0)})
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

// prompts asks the operator for a line, or for a secret without echo.
type prompts struct {
	line   func(prompt string) (string, error)
	secret func(prompt string) ([]byte, error)
}

// logIn logs an account in at Linkup, asking ask for the email, the
// password and, when LinkedIn wants one, the emailed code. Each Linkup call
// is made once: a login costs credits and, repeated, can lock the account.
func logIn(ctx context.Context, client *linkup.Client, country string, ask prompts) (string, error) {
	email, err := ask.line("LinkedIn email: ")
	if err != nil {
		return "", fmt.Errorf("reading the email: %w", err)
	}
	pw, err := ask.secret("LinkedIn password (not shown, never stored): ")
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	res, err := client.Login(ctx, strings.TrimSpace(email), string(pw), country)
	clear(pw)
	if err != nil {
		return "", fmt.Errorf("accounts connect: Linkup refused the login (not retried: each try costs credits and can lock the account): %w", err)
	}
	if !res.NeedsCode {
		return res.Token, nil
	}
	code, err := ask.line("LinkedIn sent a code by email. Code: ")
	if err != nil {
		return "", fmt.Errorf("reading the code: %w", err)
	}
	res, err = client.Verify(ctx, strings.TrimSpace(email), strings.TrimSpace(code), country)
	if err != nil {
		return "", fmt.Errorf("accounts connect: Linkup refused the code (not retried): %w", err)
	}
	if res.Token == "" {
		return "", fmt.Errorf("accounts connect: Linkup gave no login token after the code (%s)", res.Message)
	}
	return res.Token, nil
}
