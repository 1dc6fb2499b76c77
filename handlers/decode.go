package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// maxDrops bounds the odd fields one payload may lose.
const maxDrops = 32

// Decode decodes a Slack payload into v as slack-go would, but leniently:
// a field whose JSON type slack-go does not expect (a file's "channels"
// sent as {} instead of [], a number as a string) is dropped, wherever it
// is, and the rest is decoded. The decoder's error usually says where the
// value is (see drop); when it does not (a slack-go type's own decoder
// failed: a file's "created" that is not a number), the value is found by
// trial (see prune). dropped names the fields left out, for the log. The
// error is returned only for a payload that is not JSON at all, or that
// keeps failing.
func Decode(raw []byte, v any) (dropped []string, err error) {
	err = json.Unmarshal(raw, v)
	if err == nil {
		return nil, nil
	}
	var tree any
	if json.Unmarshal(raw, &tree) != nil {
		return nil, fmt.Errorf("the payload is not JSON: %w", err)
	}
	budget := maxTrials
	for range maxDrops {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "" && newDropper().drop(tree, strings.Split(te.Field, "."), te.Value):
			dropped = append(dropped, jsonPath(te.Field))
		default:
			path, ok := prune(tree, tree, v, err.Error(), nil, &budget)
			if !ok {
				return dropped, err
			}
			dropped = append(dropped, strings.Join(path, "."))
		}
		fixed, merr := json.Marshal(tree)
		if merr != nil {
			return dropped, merr
		}
		reset(v)
		if err = json.Unmarshal(fixed, v); err == nil {
			return dropped, nil
		}
	}
	return dropped, err
}

// DecodeCommand decodes a slash command leniently (see Decode), unless a
// field the command means something by is the odd one: a command read
// without its text would do something else than was asked.
func DecodeCommand(raw []byte) (slack.SlashCommand, []string, error) {
	var cmd slack.SlashCommand
	dropped, err := Decode(raw, &cmd)
	if err == nil {
		err = essential(dropped, "text", "command", "user_id", "channel_id")
	}
	return cmd, dropped, err
}

// DecodeInteraction decodes an interaction payload leniently (see Decode),
// unless its type, user or callback is the odd field.
func DecodeInteraction(raw []byte) (slack.InteractionCallback, []string, error) {
	var cb slack.InteractionCallback
	dropped, err := Decode(raw, &cb)
	if err == nil {
		err = essential(dropped, "type", "user", "callback_id", "actions", "view.id", "view.callback_id")
	}
	return cb, dropped, err
}

// essential reports an error when one of the dropped fields is one of
// fields (as a top-level path, or under them).
func essential(dropped []string, fields ...string) error {
	for _, d := range dropped {
		d = jsonPath(d)
		for _, f := range fields {
			if d == f || strings.HasPrefix(d, f+".") {
				return fmt.Errorf("the payload's %s could not be read", f)
			}
		}
	}
	return nil
}

// jsonPath is a decode error's field path without the Go names in it
// (types and embedded structs: "SlashCommandCopy.text", "alias.message.Msg.files"):
// Slack's keys are lower case.
func jsonPath(field string) string {
	var keep []string
	for _, seg := range strings.Split(field, ".") {
		if seg == "" || seg == "alias" || seg[0] >= 'A' && seg[0] <= 'Z' {
			continue
		}
		keep = append(keep, seg)
	}
	return strings.Join(keep, ".")
}

// maxTrials bounds the decodes prune may try for one payload, so that
// even a large one is read well within the ack's time.
const maxTrials = 256

// prune finds by trial, in node (a part of the decoded JSON tree root), a
// member whose removal makes root decode into v past the error failing,
// and removes it: the deepest such, so that as little as possible is
// dropped. It returns the member's path (path is node's), false when none
// was found within budget decodes.
func prune(root, node, v any, failing string, path []string, budget *int) ([]string, bool) {
	switch n := node.(type) {
	case []any:
		for _, el := range n {
			if p, ok := prune(root, el, v, failing, path, budget); ok {
				return p, true
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if *budget <= 0 {
				return nil, false
			}
			*budget--
			child := n[k]
			delete(n, k)
			past := decodesPast(root, v, failing)
			n[k] = child
			if !past {
				continue
			}
			at := append(slices.Clip(path), k)
			if p, ok := prune(root, child, v, failing, at, budget); ok {
				return p, true
			}
			delete(n, k)
			return at, true
		}
	}
	return nil, false
}

// decodesPast reports whether root decodes into v without the error failing.
func decodesPast(root, v any, failing string) bool {
	b, err := json.Marshal(root)
	if err != nil {
		return false
	}
	reset(v)
	err = json.Unmarshal(b, v)
	return err == nil || err.Error() != failing
}

// reset zeroes what v points to, for a fresh decode.
func reset(v any) {
	if p := reflect.ValueOf(v); p.Kind() == reflect.Pointer && !p.IsNil() {
		p.Elem().SetZero()
	}
}

// drop removes the field at path from the decoded JSON tree, wherever it
// holds the value the decoder refused (value as its error gives it:
// "object", "string", "number 3.5", …); it reports whether it removed one.
// The decoder's path names struct fields only: it goes through every
// element of the arrays along the way, and through every value of the
// objects decoded as Go maps, whose keys it leaves out ("shares.public.reply_users"
// is shares.public.<channel>[].reply_users), and it also names embedded Go
// structs, which have no key of their own. Each object is searched once
// per rest of the path (d.seen): skipping names and descending into values
// could otherwise reach a deep object by a number of ways that grows as
// its depth to the power of the path's length.
func (d *dropper) drop(node any, path []string, value string) bool {
	switch n := node.(type) {
	case []any:
		found := false
		for _, el := range n {
			found = d.drop(el, path, value) || found
		}
		return found
	case map[string]any:
		at := visit{reflect.ValueOf(n).Pointer(), len(path)}
		if found, ok := d.seen[at]; ok {
			return found
		}
		d.visits++
		found := d.dropIn(n, path, value)
		d.seen[at] = found
		return found
	}
	return false
}

// dropper is one search of drop's: the objects it searched, by the rest
// of the path, with what it found; visits counts them.
type dropper struct {
	seen   map[visit]bool
	visits int
}

type visit struct {
	obj  uintptr // the object (its map), alive for the search
	rest int
}

func newDropper() *dropper { return &dropper{seen: map[visit]bool{}} }

// dropIn is drop in object n.
func (d *dropper) dropIn(n map[string]any, path []string, value string) bool {
	key := path[0]
	found, present := false, false
	// encoding/json names a field by its JSON key; match it case-insensitively, as it does.
	for k, child := range n {
		if !strings.EqualFold(k, key) {
			continue
		}
		present = true
		if len(path) == 1 {
			if refused(child, value) {
				delete(n, k)
				found = true
			}
			continue
		}
		found = d.drop(child, path[1:], value) || found
	}
	// The path also names embedded Go structs ("message.Msg.files"),
	// which have no key of their own: skip such a name.
	if !found && len(path) > 1 {
		found = d.drop(n, path[1:], value)
	}
	// Or this object, without the key, is a Go map: the path goes on
	// in its values.
	if !found && !present {
		for _, child := range n {
			found = d.drop(child, path, value) || found
		}
	}
	return found
}

// refused reports whether v is the value a decode error describes: its
// kind ("object", "string", …), and for a number its literal ("number
// 3.5"), since a number of the right kind may sit next to it.
func refused(v any, value string) bool {
	kind, literal, _ := strings.Cut(value, " ")
	if kind == "" || kindOf(v) != kind {
		return kind == ""
	}
	if kind != "number" || literal == "" {
		return true
	}
	f, err := strconv.ParseFloat(literal, 64)
	return err == nil && v.(float64) == f
}

// kindOf names a decoded JSON value's kind as encoding/json's errors do.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	default:
		return "null"
	}
}
