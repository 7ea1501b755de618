// Package mutate generates mutants of the course's reference solutions with named concurrency
// operators (drop a lock pair, Broadcast → Signal, `for` → `if` around Cond.Wait, ...), type-checks
// them, runs the exercises' tests on them in overlay batches through the grader, and reports the
// survivors. `course mutate` is its command line.
//
// A mutant is a whole replacement file, made by a few byte-range edits of the solution's source, so
// the rest of the file (and its diff) stays exactly as written. Its id is
// "<operator>/<Func or Type.Method>/<n>", n counting that operator's sites in that function in source
// order from 1: an edit elsewhere in the file does not change it.
package mutate

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"
)

// The operators, by name. Each is documented where it is generated, in Generate.
const (
	OpDropLock        = "drop-lock"           // X.Lock() and its Unlock(s) removed
	OpDropRLock       = "drop-rlock"          // X.RLock() and its RUnlock(s) removed
	OpLockToRLock     = "lock-to-rlock"       // X.Lock()/Unlock() → X.RLock()/RUnlock() on a RWMutex
	OpBroadcastSignal = "broadcast-to-signal" // c.Broadcast() → c.Signal()
	OpWaitForToIf     = "wait-for-to-if"      // for cond { c.Wait() } → if cond { c.Wait() }
	OpDropRecheck     = "drop-recheck"        // the check after a wake-up removed
	OpDropSelectCase  = "drop-select-case"    // case <-ctx.Done() / <-done removed from a select
	OpDropGo          = "drop-go"             // go f() → f()
	OpDropWgWait      = "drop-wg-wait"        // wg.Wait() removed
	OpDropWgDone      = "drop-wg-done"        // wg.Done() removed
	OpWgGoUntracked   = "wg-go-untracked"     // wg.Go(f) → go f(): the WaitGroup no longer counts it
	OpMoveWgAdd       = "move-wg-add"         // wg.Add moved into the goroutine it counts
	OpDropClose       = "drop-close"          // close(ch) removed
	OpDropCancel      = "drop-cancel"         // cancel() removed
	OpDropStop        = "drop-stop"           // ticker.Stop() / timer.Stop() removed
	OpChanBuffer      = "chan-buffer"         // make(chan T) ↔ make(chan T, n)
	OpBoundary        = "boundary"            // < ↔ <=, > ↔ >= in a loop, if or returned condition
)

// Operators lists every operator name.
var Operators = []string{
	OpDropLock, OpDropRLock, OpLockToRLock, OpBroadcastSignal, OpWaitForToIf, OpDropRecheck,
	OpDropSelectCase, OpDropGo, OpDropWgWait, OpDropWgDone, OpWgGoUntracked, OpMoveWgAdd,
	OpDropClose, OpDropCancel, OpDropStop, OpChanBuffer, OpBoundary,
}

// Mutant is one generated mutant of one file.
type Mutant struct {
	ID          string `json:"id"`       // "<operator>/<Func>/<n>"
	Operator    string `json:"operator"` // one of Operators
	Func        string `json:"func"`     // "F" or "Type.Method"
	Description string `json:"description"`
	File        string `json:"file"` // base name of the file it replaces
	Line        int    `json:"line"` // where the (first) edit is
	Diff        string `json:"diff"`
	Src         []byte `json:"-"` // the whole mutated file
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// site is one place an operator applies, before it is numbered.
type site struct {
	op, fn, desc string
	pos          token.Pos
	edits        []edit
}

// Generate returns the mutants of one file, in source order. info must hold the file's type
// information (Types, Uses, Selections, Defs); file must have been parsed from src with fset.
func Generate(fset *token.FileSet, file *ast.File, src []byte, info *types.Info) []Mutant {
	g := &gen{fset: fset, src: src, info: info, tf: fset.File(file.Pos())}
	g.sentOn = sentObjects(file, info)
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		g.fn = funcName(fd)
		g.funcDecl(fd)
	}
	sort.SliceStable(g.sites, func(i, j int) bool { return g.sites[i].pos < g.sites[j].pos })
	count := map[string]int{}
	seen := map[string]bool{string(src): true}
	var out []Mutant
	name := g.tf.Name()
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	for _, s := range g.sites {
		key := s.op + "/" + s.fn
		count[key]++
		mutated, err := apply(src, s.edits)
		if err != nil || seen[string(mutated)] {
			continue
		}
		seen[string(mutated)] = true
		line := g.tf.Line(s.pos)
		m := Mutant{
			ID:          fmt.Sprintf("%s/%d", key, count[key]),
			Operator:    s.op,
			Func:        s.fn,
			Description: fmt.Sprintf("%s: %s (%s:%d)", s.fn, s.desc, name, line),
			File:        name,
			Line:        line,
			Src:         mutated,
		}
		out = append(out, m)
	}
	return out
}

type gen struct {
	fset   *token.FileSet
	tf     *token.File
	src    []byte
	info   *types.Info
	fn     string
	sentOn map[types.Object]bool
	sites  []site
}

func (g *gen) add(op string, pos token.Pos, desc string, edits ...edit) {
	g.sites = append(g.sites, site{op: op, fn: g.fn, desc: desc, pos: pos, edits: edits})
}

func (g *gen) off(p token.Pos) int { return g.tf.Offset(p) }

func (g *gen) text(n ast.Node) string { return string(g.src[g.off(n.Pos()):g.off(n.End())]) }

// funcName is "F", or "Type.Method" for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.ParenExpr:
			t = x.X
			continue
		}
		break
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// callee names what call calls: "(*sync.Mutex).Lock" for a method, "close" for a builtin, "" if it
// cannot tell.
func (g *gen) callee(call *ast.CallExpr) string {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.SelectorExpr:
		if sel := g.info.Selections[fun]; sel != nil {
			if f, ok := sel.Obj().(*types.Func); ok {
				return f.FullName()
			}
		}
		if f, ok := g.info.Uses[fun.Sel].(*types.Func); ok {
			return f.FullName()
		}
	case *ast.Ident:
		switch o := g.info.Uses[fun].(type) {
		case *types.Builtin:
			return o.Name()
		case *types.Func:
			return o.FullName()
		}
	}
	return ""
}

// isCancel reports whether call calls a context.CancelFunc (or CancelCauseFunc) value.
func (g *gen) isCancel(call *ast.CallExpr) bool {
	t := g.info.TypeOf(call.Fun)
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	return n.Obj().Pkg().Path() == "context" && (n.Obj().Name() == "CancelFunc" || n.Obj().Name() == "CancelCauseFunc")
}

// stmtCall returns the call of an expression or defer statement.
func stmtCall(s ast.Stmt) (call *ast.CallExpr, deferred bool) {
	switch s := s.(type) {
	case *ast.ExprStmt:
		c, _ := s.X.(*ast.CallExpr)
		return c, false
	case *ast.DeferStmt:
		return s.Call, true
	}
	return nil, false
}

var lockMethods = map[string]string{
	"(*sync.Mutex).Lock": "Lock", "(*sync.Mutex).Unlock": "Unlock",
	"(*sync.RWMutex).Lock": "Lock", "(*sync.RWMutex).Unlock": "Unlock",
	"(*sync.RWMutex).RLock": "RLock", "(*sync.RWMutex).RUnlock": "RUnlock",
	"(sync.Locker).Lock": "Lock", "(sync.Locker).Unlock": "Unlock",
}

type lockStmt struct {
	kind     string // Lock, Unlock, RLock, RUnlock
	recv     string // the receiver expression as written
	rw       bool   // the receiver is a sync.RWMutex
	stmt     ast.Stmt
	call     *ast.CallExpr
	deferred bool
}

func (g *gen) funcDecl(fd *ast.FuncDecl) {
	var locks []lockStmt
	// Statement lists: where statements can be dropped and neighbours looked at.
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		var list []ast.Stmt
		switch n := n.(type) {
		case *ast.BlockStmt:
			list = n.List
		case *ast.CaseClause:
			list = n.Body
		case *ast.CommClause:
			list = n.Body
			g.commClause(n)
		case *ast.GoStmt:
			// drop-go: the goroutine's work runs inline, in the caller.
			g.add(OpDropGo, n.Go, "`go` removed: "+clip(g.text(n.Call))+" runs inline",
				edit{g.off(n.Go), g.off(n.Call.Pos()), ""})
		case *ast.SelectStmt:
			g.selectStmt(n)
		case *ast.ForStmt:
			g.forStmt(n)
			if n.Cond != nil {
				g.boundary(n.Cond, "loop condition")
			}
		case *ast.IfStmt:
			g.boundary(n.Cond, "if condition")
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				if b, ok := g.info.TypeOf(r).Underlying().(*types.Basic); ok && b.Info()&types.IsBoolean != 0 {
					g.boundary(r, "returned condition")
				}
			}
		case *ast.CallExpr:
			g.makeChan(n)
		}
		for i, s := range list {
			g.stmt(list, i, s, &locks)
		}
		g.recheckAfterWait(list)
		return true
	})
	g.lockPairs(locks)
}

// stmt handles the operators on one statement of a statement list.
func (g *gen) stmt(list []ast.Stmt, i int, s ast.Stmt, locks *[]lockStmt) {
	call, deferred := stmtCall(s)
	if call == nil {
		return
	}
	name := g.callee(call)
	if kind, ok := lockMethods[name]; ok {
		recv := ""
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			recv = g.text(sel.X)
		}
		*locks = append(*locks, lockStmt{kind: kind, recv: recv, rw: strings.HasPrefix(name, "(*sync.RWMutex)"), stmt: s, call: call, deferred: deferred})
		return
	}
	what := clip(g.text(s))
	switch {
	case name == "(*sync.Cond).Broadcast" && !deferred:
		sel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		g.add(OpBroadcastSignal, s.Pos(), what+" → Signal(): only one waiter wakes",
			edit{g.off(sel.Sel.Pos()), g.off(sel.Sel.End()), "Signal"})
	case name == "(*sync.WaitGroup).Wait" || name == "(*golang.org/x/sync/errgroup.Group).Wait":
		g.add(OpDropWgWait, s.Pos(), what+" removed: nothing waits for the goroutines", g.drop(s))
	case name == "(*sync.WaitGroup).Done":
		g.add(OpDropWgDone, s.Pos(), what+" removed: the WaitGroup never reaches zero", g.drop(s))
	case name == "close":
		g.add(OpDropClose, s.Pos(), what+" removed: the channel is never closed", g.drop(s))
	case g.isCancel(call):
		g.add(OpDropCancel, s.Pos(), what+" removed: the context is never cancelled here", g.drop(s))
	case name == "(*time.Ticker).Stop" || name == "(*time.Timer).Stop":
		g.add(OpDropStop, s.Pos(), what+" removed: the ticker or timer is never stopped", g.drop(s))
	case name == "(*sync.WaitGroup).Go" && !deferred && len(call.Args) == 1:
		sel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		wg := g.text(sel.X)
		f := g.text(call.Args[0])
		g.add(OpWgGoUntracked, s.Pos(), what+" → plain `go`: "+wg+" no longer counts the goroutine",
			edit{g.off(call.Pos()), g.off(call.Lparen) + 1, "go "},
			edit{g.off(call.Rparen), g.off(call.Rparen) + 1, "()"})
		g.add(OpMoveWgAdd, s.Pos(), what+" → go func() { "+wg+".Add(1); defer "+wg+".Done(); ... }(): Add runs in the goroutine, after Wait may have returned",
			edit{g.off(call.Pos()), g.off(call.End()), fmt.Sprintf("go func() { %s.Add(1); defer %s.Done(); (%s)() }()", wg, wg, f)})
	case name == "(*sync.WaitGroup).Add" && !deferred:
		g.moveAdd(list, i, s)
	}
}

// moveAdd: wg.Add(n) before a `go func(){...}()` (directly, or in the loop that follows) moves to
// the first statement of that goroutine.
func (g *gen) moveAdd(list []ast.Stmt, i int, add ast.Stmt) {
	var lit *ast.FuncLit
	for _, s := range list[i+1:] {
		lit = goFuncLit(s)
		if lit == nil {
			var body *ast.BlockStmt
			switch l := s.(type) {
			case *ast.ForStmt:
				body = l.Body
			case *ast.RangeStmt:
				body = l.Body
			}
			if body != nil {
				for _, b := range body.List {
					if lit = goFuncLit(b); lit != nil {
						break
					}
				}
			}
		}
		if lit != nil {
			break
		}
	}
	if lit == nil {
		return
	}
	at := g.off(lit.Body.Lbrace) + 1
	e := g.drop(add)
	g.add(OpMoveWgAdd, add.Pos(), clip(g.text(add))+" moved into the goroutine: Wait may return before it runs",
		e, edit{at, at, " " + g.text(add) + ";"})
}

func goFuncLit(s ast.Stmt) *ast.FuncLit {
	if gs, ok := s.(*ast.GoStmt); ok {
		if lit, ok := gs.Call.Fun.(*ast.FuncLit); ok {
			return lit
		}
	}
	return nil
}

// lockPairs: each Lock (RLock) with the Unlocks (RUnlocks) of the same receiver that follow it in
// the function, up to its next Lock.
func (g *gen) lockPairs(locks []lockStmt) {
	sort.SliceStable(locks, func(i, j int) bool { return locks[i].stmt.Pos() < locks[j].stmt.Pos() })
	for i, l := range locks {
		if l.deferred || (l.kind != "Lock" && l.kind != "RLock") {
			continue
		}
		unlock := "Unlock"
		if l.kind == "RLock" {
			unlock = "RUnlock"
		}
		var partners []lockStmt
		for _, u := range locks[i+1:] {
			if u.recv != l.recv {
				continue
			}
			if u.kind == l.kind && !u.deferred {
				break
			}
			if u.kind == unlock {
				partners = append(partners, u)
			}
		}
		what := l.recv + "." + l.kind + "()"
		if l.kind == "Lock" {
			edits := []edit{g.drop(l.stmt)}
			for _, p := range partners {
				edits = append(edits, g.drop(p.stmt))
			}
			g.add(OpDropLock, l.stmt.Pos(), fmt.Sprintf("%s and its %d Unlock(s) removed: the section runs unguarded", what, len(partners)), edits...)
			if l.rw {
				edits := []edit{g.rename(l.call, "RLock")}
				for _, p := range partners {
					edits = append(edits, g.rename(p.call, "RUnlock"))
				}
				g.add(OpLockToRLock, l.stmt.Pos(), what+" → RLock(): writers share the lock with each other and with readers", edits...)
			}
		} else {
			edits := []edit{g.drop(l.stmt)}
			for _, p := range partners {
				edits = append(edits, g.drop(p.stmt))
			}
			g.add(OpDropRLock, l.stmt.Pos(), fmt.Sprintf("%s and its %d RUnlock(s) removed: the read runs unguarded", what, len(partners)), edits...)
		}
	}
}

func (g *gen) rename(call *ast.CallExpr, method string) edit {
	sel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return edit{g.off(sel.Sel.Pos()), g.off(sel.Sel.End()), method}
}

// forStmt: `for cond { ... c.Wait() ... }` → `if`; drop one term of an && condition; drop the
// check right after the loop.
func (g *gen) forStmt(f *ast.ForStmt) {
	if f.Init != nil || f.Post != nil || f.Cond == nil || !g.waitsOnCond(f.Body) {
		return
	}
	g.add(OpWaitForToIf, f.For, "`for "+clip(g.text(f.Cond))+"` around Wait → `if`: no re-check after a wake-up",
		edit{g.off(f.For), g.off(f.For) + 3, "if"})
	terms := andTerms(f.Cond)
	if len(terms) > 1 {
		for i := range terms {
			var rest []string
			for j, t := range terms {
				if j != i {
					rest = append(rest, g.text(t))
				}
			}
			g.add(OpDropRecheck, terms[i].Pos(), "the wait loop no longer checks "+clip(g.text(terms[i])),
				edit{g.off(f.Cond.Pos()), g.off(f.Cond.End()), strings.Join(rest, " && ")})
		}
	}
}

func andTerms(e ast.Expr) []ast.Expr {
	if b, ok := ast.Unparen(e).(*ast.BinaryExpr); ok && b.Op == token.LAND {
		return append(andTerms(b.X), andTerms(b.Y)...)
	}
	return []ast.Expr{e}
}

// waitsOnCond reports whether body calls (*sync.Cond).Wait outside any nested function.
func (g *gen) waitsOnCond(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if g.callee(n) == "(*sync.Cond).Wait" {
				found = true
			}
		}
		return !found
	})
	return found
}

// recheckAfterWait: in a statement list, the `if ... { return }` right after a Cond wait loop.
func (g *gen) recheckAfterWait(list []ast.Stmt) {
	for i, s := range list {
		f, ok := s.(*ast.ForStmt)
		if !ok || i+1 >= len(list) || !g.waitsOnCond(f.Body) {
			continue
		}
		if is, ok := list[i+1].(*ast.IfStmt); ok && is.Else == nil && is.Init == nil && exits(is.Body) {
			g.add(OpDropRecheck, is.If, "the check `if "+clip(g.text(is.Cond))+"` after the wait loop removed", g.drop(is))
		}
	}
}

// exits reports whether a block ends in return, break, continue, goto or panic.
func exits(b *ast.BlockStmt) bool {
	if len(b.List) == 0 {
		return false
	}
	switch s := b.List[len(b.List)-1].(type) {
	case *ast.ReturnStmt, *ast.BranchStmt:
		return true
	case *ast.ExprStmt:
		if c, ok := s.X.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
				return true
			}
		}
	}
	return false
}

// commClause: the `if ... { return }` first in a receive case's body is a re-check after a wake-up.
func (g *gen) commClause(c *ast.CommClause) {
	if c.Comm == nil || len(c.Body) == 0 || recvChan(c.Comm) == nil {
		return
	}
	if is, ok := c.Body[0].(*ast.IfStmt); ok && is.Else == nil && exits(is.Body) {
		g.add(OpDropRecheck, is.If, "the check `if "+clip(g.text(is.Cond))+"` after the wake-up removed", g.drop(is))
	}
}

// recvChan returns the channel a select case receives from, or nil.
func recvChan(s ast.Stmt) ast.Expr {
	var e ast.Expr
	switch s := s.(type) {
	case *ast.ExprStmt:
		e = s.X
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			e = s.Rhs[0]
		}
	}
	if u, ok := ast.Unparen(e).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		return u.X
	}
	return nil
}

// selectStmt: drop a case that receives from a Done() channel or a chan struct{} (done, stop, quit).
func (g *gen) selectStmt(s *ast.SelectStmt) {
	if len(s.Body.List) < 2 {
		return
	}
	for _, c := range s.Body.List {
		cc := c.(*ast.CommClause)
		ch := recvChan(cc.Comm)
		if ch == nil {
			continue
		}
		done := false
		if call, ok := ast.Unparen(ch).(*ast.CallExpr); ok {
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Done" {
				done = true
			}
		}
		if t, ok := g.info.TypeOf(ch).Underlying().(*types.Chan); ok {
			if st, ok := t.Elem().Underlying().(*types.Struct); ok && st.NumFields() == 0 {
				done = true
			}
		}
		if !done {
			continue
		}
		g.add(OpDropSelectCase, cc.Case, "`case "+clip(g.text(cc.Comm))+"` removed from the select: it no longer wakes on cancel/done",
			g.dropRange(cc.Pos(), cc.End()))
	}
}

// boundary: < ↔ <=, > ↔ >= in a condition (through !, &&, || and parentheses).
func (g *gen) boundary(e ast.Expr, where string) {
	swap := map[token.Token]string{token.LSS: "<=", token.LEQ: "<", token.GTR: ">=", token.GEQ: ">"}
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		switch x := ast.Unparen(e).(type) {
		case *ast.UnaryExpr:
			if x.Op == token.NOT {
				walk(x.X)
			}
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				walk(x.X)
				walk(x.Y)
				return
			}
			if to, ok := swap[x.Op]; ok {
				g.add(OpBoundary, x.OpPos, fmt.Sprintf("%s `%s`: %s → %s", where, clip(g.text(x)), x.Op, to),
					edit{g.off(x.OpPos), g.off(x.OpPos) + len(x.Op.String()), to})
			}
		}
	}
	walk(e)
}

// makeChan: make(chan T) → make(chan T, 1), make(chan T, n) → make(chan T). A channel of struct{}
// that nothing in the file sends on is skipped: its buffer cannot be observed.
func (g *gen) makeChan(call *ast.CallExpr) {
	if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "make" || len(call.Args) == 0 {
		return
	}
	if _, ok := g.info.Uses[call.Fun.(*ast.Ident)].(*types.Builtin); !ok {
		return
	}
	ct, ok := g.info.TypeOf(call.Args[0]).Underlying().(*types.Chan)
	if !ok {
		return
	}
	switch len(call.Args) {
	case 1:
		if st, ok := ct.Elem().Underlying().(*types.Struct); ok && st.NumFields() == 0 && !g.anySendOnStructChan() {
			return
		}
		at := g.off(call.Rparen)
		g.add(OpChanBuffer, call.Pos(), clip(g.text(call))+" → buffered (1): a send no longer waits for its receiver", edit{at, at, ", 1"})
	case 2:
		g.add(OpChanBuffer, call.Pos(), clip(g.text(call))+" → unbuffered: every send waits for a receiver",
			edit{g.off(call.Args[0].End()), g.off(call.Args[1].End()), ""})
	}
}

// anySendOnStructChan reports whether the file sends on any chan struct{}.
func (g *gen) anySendOnStructChan() bool {
	for o := range g.sentOn {
		if o == nil {
			return true
		}
	}
	return false
}

// sentObjects records whether the file sends on a chan struct{} anywhere (the key nil): a done
// channel that is only ever closed has no observable buffer.
func sentObjects(file *ast.File, info *types.Info) map[types.Object]bool {
	out := map[types.Object]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if s, ok := n.(*ast.SendStmt); ok {
			if t, ok := info.TypeOf(s.Chan).Underlying().(*types.Chan); ok {
				if st, ok := t.Elem().Underlying().(*types.Struct); ok && st.NumFields() == 0 {
					out[nil] = true
				}
			}
		}
		return true
	})
	return out
}

// drop removes statement s, with its whole line when it stands alone on it (a trailing comment
// goes with it).
func (g *gen) drop(s ast.Node) edit { return g.dropRange(s.Pos(), s.End()) }

func (g *gen) dropRange(from, to token.Pos) edit {
	start, end := g.off(from), g.off(to)
	ls := start
	for ls > 0 && (g.src[ls-1] == ' ' || g.src[ls-1] == '\t') {
		ls--
	}
	if ls > 0 && g.src[ls-1] != '\n' {
		return edit{start, end, ""}
	}
	le := end
	for le < len(g.src) && (g.src[le] == ' ' || g.src[le] == '\t') {
		le++
	}
	if bytes.HasPrefix(g.src[le:], []byte("//")) {
		for le < len(g.src) && g.src[le] != '\n' {
			le++
		}
	}
	if le < len(g.src) && g.src[le] == '\n' {
		return edit{ls, le + 1, ""}
	}
	return edit{start, end, ""}
}

// apply makes the edits (which must not overlap) to a copy of src.
func apply(src []byte, edits []edit) ([]byte, error) {
	es := append([]edit(nil), edits...)
	sort.Slice(es, func(i, j int) bool { return es[i].start < es[j].start })
	var b bytes.Buffer
	last := 0
	for _, e := range es {
		if e.start < last || e.end < e.start || e.end > len(src) {
			return nil, fmt.Errorf("overlapping edits")
		}
		b.Write(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(src[last:])
	return b.Bytes(), nil
}

// clip shortens code quoted in a description to one short line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
