package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stepsText writes steps one a line as "purpose: command", with this tool's
// commands as "cfnfargate COMMAND STACK" and AWS CLI ones as "aws ARGS", for
// tests to search.
func stepsText(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.Purpose + ": ")
		if s.Command == StepAWS {
			b.WriteString("aws " + strings.Join(s.Args, " "))
		} else {
			b.WriteString("cfnfargate " + string(s.Command) + " " + s.Stack)
		}
		b.WriteString(" @" + s.StackID + "\n")
	}
	return b.String()
}

// Proves: a step reads the region and account from the stack's ARN, and
// reads nothing from a missing or malformed one.
func TestStepRegionAndAccount(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, region, account string }{
		{"arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/0000-1111", "eu-west-1", "123456789012"},
		{"arn:aws-cn:cloudformation:cn-north-1:210987654321:stack/demo/x", "cn-north-1", "210987654321"},
		{"", "", ""},
		{"demo", "", ""},
	}
	for _, tt := range tests {
		s := Step{StackID: tt.id}
		if s.Region() != tt.region || s.Account() != tt.account {
			t.Errorf("%q: region %q, account %q; want %q, %q", tt.id, s.Region(), s.Account(), tt.region, tt.account)
		}
	}
}

// Proves: the package writes no command line of the CLI into its errors,
// notes or results ("Libraries say what; the CLI says where"): a hint that
// names a cfnfargate command is a Step, which the CLI words with the flags
// the user gave.
func TestNoCLICommandLines(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// A cfnfargate command line, or one of cfnfargate's flags as the key
	// of a problem the library finds itself (check.X("--flag", ...)); the
	// aws CLI's flags in Steps are data, and allowed.
	commandLine := regexp.MustCompile("`?cfnfargate [a-z]+ --|check\\.[A-Za-z]+\\(\"--|\\(\"--[a-z-]+\", \"[a-z ]")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "doc.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if commandLine.MatchString(line) {
				t.Errorf("%s:%d uses CLI vocabulary (a cfnfargate command line or flag): %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
