package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunBuildsOnTheStubOrTheSolutions runs a command of the tiny course that uses an exercise: on
// the student's stub it panics with the TODO; with --solutions it does the job; its arguments and
// exit status pass through.
func TestRunBuildsOnTheStubOrTheSolutions(t *testing.T) {
	root := tinyCourse(t)
	sol := filepath.Join(root, "solutions", "day1_x", "todo", "todo.go")
	main := filepath.Join(root, "day1_x", "todo", "cmd", "show", "main.go")
	for file, body := range map[string]string{
		sol: "package todo\n\nfunc F() int { return 1 }\n",
		main: `package main

import (
	"fmt"
	"os"

	"tiny/day1_x/todo"
)

func main() {
	fmt.Println("F() =", todo.F(), os.Args[1:])
	if len(os.Args) > 2 {
		os.Exit(len(os.Args))
	}
}
`,
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
		require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
	}

	out, err := runCLI("run", "./todo/cmd/show")
	assert.Equal(t, 2, exitCode(err), "a panicking command exits 2, as Go programs do: %s", out)
	assert.Contains(t, out, "TODO: implement F", "on the student's code the stub's TODO panic shows")

	out, err = runCLI("run", "--solutions", "./todo/cmd/show", "--", "-x")
	require.NoError(t, err, out)
	assert.Contains(t, out, "F() = 1 [-x]", "--solutions builds on the reference solution; what follows -- is the command's")

	out, err = runCLI("run", "--solutions", "./todo/cmd/show", "--", "a", "b")
	assert.Equal(t, 3, exitCode(err), "the command's exit status is course run's: %s", out)

	_, err = runCLI("run", "./todo/cmd/nothere")
	assert.Equal(t, 2, exitCode(err), "a command that does not build is the tool's failure")
}
