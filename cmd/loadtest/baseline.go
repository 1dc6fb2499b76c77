package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"linkedin-bot/internal/fakeslack"
)

// baselineRun runs the burst on linkedin-bot and on the plain bot
// (./plainbot), o.runs times each, alternating which goes first, each
// against fresh fakes of its own, and prints each run's figures, then the
// medians of both bots and their ratio. The two share the machine's
// moment, so their ratio drifts far less than either figure.
func baselineRun(out io.Writer, o options, tmp string) error {
	if o.runs < 1 {
		return fmt.Errorf("-runs %d: at least 1", o.runs)
	}
	if o.replicas > 1 || o.mediaMiB > 0 || o.metrics > 0 {
		return fmt.Errorf("-baseline measures the burst of one bot: no -replicas, -media or -metrics")
	}
	plain := filepath.Join(tmp, "plainbot")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", plain, "./cmd/loadtest/plainbot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the plain bot (run from the repository root): %w", err)
	}
	store := "SQLite"
	if o.database != "" {
		store = "PostgreSQL"
	}
	fmt.Fprintf(out, "machine: %s; linkedin-bot on %s against a plain slack-go bot that persists nothing; %d alternated run(s) of %d commands at %d/s\n",
		machine(), store, o.runs, o.n, o.rate)
	var ours, base []figures
	for r := range o.runs {
		order := []bool{true, false} // linkedin-bot first
		if r%2 == 1 {
			order = []bool{false, true}
		}
		for _, isOurs := range order {
			name, binary := "linkedin-bot", o.bot
			if !isOurs {
				name, binary = "plain bot", plain
			}
			fmt.Fprintf(out, "\n— run %d, %s\n", r+1, name)
			o.tag = fmt.Sprintf("r%d-%t-%d-", r, isOurs, time.Now().UnixNano())
			f, err := burstOnce(out, o, tmp, binary)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", r+1, name, err)
			}
			if isOurs {
				ours = append(ours, f)
			} else {
				base = append(base, f)
			}
		}
	}
	printComparison(out, ours, base)
	return nil
}

// burstOnce starts binary against fresh fakes and measures one burst.
func burstOnce(out io.Writer, o options, tmp, binary string) (figures, error) {
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 5 * time.Second})
	defer sl.Close()
	lk := newLinkup()
	defer lk.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if o.database != "" && binary == o.bot {
		// A schema of its own each run, as a first start has it.
		db, drop, err := freshSchema(ctx, o.database, o.tag)
		if err != nil {
			return figures{}, err
		}
		defer drop()
		o.database = db
	}
	logPath := filepath.Join(tmp, "bot-"+o.tag+".log")
	pid, stop, err := startBotLog(ctx, binary, tmp, sl, lk.srv.URL, logPath, "LOG_LEVEL=info", "LINKUP_TIMEOUT=5m",
		"DATABASE_URL="+o.database, "DATA_DIR="+filepath.Join(tmp, "data-"+o.tag))
	if err != nil {
		return figures{}, err
	}
	defer stop()
	time.Sleep(settleIdle)
	idle, err := readProc(pid)
	if err != nil {
		return figures{}, err
	}
	f, err := burst(ctx, out, o, sl, lk, []int{pid}, idle)
	if err != nil || binary != o.bot {
		return f, err // the plain bot persists nothing
	}
	stop()
	return f, guard(out, o, f, []string{logPath})
}

// printComparison prints the medians of both bots' figures and their
// ratio, with the targets of issue 26.
func printComparison(out io.Writer, ours, base []figures) {
	med := func(fs []figures, get func(figures) float64) float64 {
		v := make([]float64, len(fs))
		for i, f := range fs {
			v[i] = get(f)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	rows := []struct {
		name, unit, target string
		get                func(figures) float64
	}{
		{"ack p50", "ms", "", func(f figures) float64 { return ms(f.ackP50) }},
		{"ack p99", "ms", "≤ 1.5×", func(f figures) float64 { return ms(f.ackP99) }},
		{"CPU per send", "ms", "≤ 1.5×", func(f figures) float64 { return ms(f.cpuPerSend) }},
		{"peak RSS", "MiB", "≤ 20 MiB", func(f figures) float64 { return mib(f.peakRSS) }},
		{"idle RSS", "MiB", "≤ 12 MiB", func(f figures) float64 { return mib(f.idleRSS) }},
		{"idle own mem", "MiB", "RssAnon", func(f figures) float64 { return mib(f.idleAnon) }},
	}
	fmt.Fprintf(out, "\nmedians of %d run(s) each, alternated:\n", len(ours))
	fmt.Fprintf(out, "%-14s %12s %14s %7s  %s\n", "figure", "plain bot", "linkedin-bot", "ratio", "target")
	for _, r := range rows {
		p, l := med(base, r.get), med(ours, r.get)
		ratio := "-"
		if p > 0 {
			ratio = fmt.Sprintf("%.2f", l/p)
		}
		fmt.Fprintf(out, "%-14s %9.2f %-3s %10.2f %-3s %7s  %s\n", r.name, p, r.unit, l, r.unit, ratio, r.target)
	}
}

// freshSchema creates an empty schema in the database at rawURL and
// returns the URL that uses it, and drop, which removes it.
func freshSchema(ctx context.Context, rawURL, tag string) (string, func(), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, fmt.Errorf("-database-url: %w", err)
	}
	name := "loadtest_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(tag))
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		_ = db.Close()
		return "", nil, fmt.Errorf("creating schema %s: %w", name, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		_ = db.Close()
	}, nil
}
