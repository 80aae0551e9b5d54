package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// withHints turns the next steps an error suggests into command lines that
// repeat the AWS flags the user gave, so a hint copied as printed runs
// against the same account, region and endpoint. Missing credentials get
// the ways to provide them. Other errors are returned as they are.
func withHints(c *cli.Context, err error) error {
	if err == nil {
		return nil
	}
	inFlagTerms(err)
	var creds *deploy.CredentialsError
	if errors.As(err, &creds) {
		return &hintedError{err: err, hint: credentialsHint(c)}
	}
	steps := deploy.NextSteps(err)
	if len(steps) == 0 {
		return err
	}
	return &hintedError{err: err, hint: stepsHint(c, steps)}
}

// hintedError is an error followed by lines that say what to do about it.
// Its exit code is the error's.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return e.err.Error() + "\n" + e.hint }
func (e *hintedError) Unwrap() error { return e.err }

// stepsHint writes steps under a line that names where the stack is:
//
//	For stack shop in eu-west-1, account 123456789012:
//	  check on it: cfnfargate status --stack shop --region eu-west-1
//	  delete it:   cfnfargate delete --stack shop --region eu-west-1
func stepsHint(c *cli.Context, steps []deploy.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "For %s:", stackLocation(c, steps[0]))
	width := 0
	for _, s := range steps {
		width = max(width, len(s.Purpose)+1)
	}
	for _, s := range steps {
		fmt.Fprintf(&b, "\n  %-*s %s", width, s.Purpose+":", commandLine(c, s))
	}
	return b.String()
}

// stackLocation names a step's stack with its region and account, read from
// its ARN. Without one, the region is the one the clients use and the
// account is not named.
func stackLocation(c *cli.Context, s deploy.Step) string {
	where := "stack " + s.Stack
	region, account := s.Region(), s.Account()
	if region == "" {
		region, _ = deploy.Region(c.Context, deploy.ClientOptions{Region: c.String("region"), Profile: c.String("profile")})
	}
	if region != "" {
		where += " in " + region
	}
	if account != "" {
		where += ", account " + account
	}
	return where
}

// commandLine writes a step as the command to run, with the AWS flags the
// user gave. A deploy has more settings than a hint can repeat, so its line
// ends with [settings], as in the usage text.
func commandLine(c *cli.Context, s deploy.Step) string {
	var args []string
	switch s.Command {
	case deploy.StepAWS:
		args = append([]string{"aws"}, s.Args...)
	default:
		args = []string{"cfnfargate", string(s.Command), "--stack", s.Stack}
		if s.Command != deploy.StepStatus && c.IsSet("role-arn") && c.String("role-arn") != "" {
			args = append(args, "--role-arn", c.String("role-arn"))
		}
	}
	line := shellWords(append(args, awsAccessArgs(c)...))
	if s.Command == deploy.StepDeploy {
		line += " [settings]"
	}
	return line
}

// awsAccessArgs repeats the flags that chose the account, region and
// endpoint, when the user gave them (as flags, CFNFARGATE_* variables or in
// the config file). The AWS CLI takes the same three. Those that came from
// the SDK's own chain (AWS_PROFILE, AWS_REGION, ~/.aws/config) are left to
// it, as they were for this run.
func awsAccessArgs(c *cli.Context) []string {
	var args []string
	for _, name := range []string{"region", "profile", "endpoint-url"} {
		if c.IsSet(name) && c.String(name) != "" {
			args = append(args, "--"+name, c.String(name))
		}
	}
	return args
}

// plainWord is a word a POSIX shell reads as it is.
var plainWord = lazyregexp.New(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellWords joins args into a command line for a POSIX shell, quoting the
// words that need it.
func shellWords(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		switch {
		case plainWord.MatchString(a):
			quoted[i] = a
		default:
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// credentialsHint says how to provide AWS credentials.
func credentialsHint(c *cli.Context) string {
	profile := c.String("profile")
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	sso := "aws sso login --profile PROFILE"
	if profile != "" {
		sso = shellWords([]string{"aws", "sso", "login", "--profile", profile})
	}
	return "Provide AWS credentials in one of these ways:\n" +
		"  a profile from ~/.aws/config:  --profile PROFILE, or AWS_PROFILE=PROFILE\n" +
		"  an SSO profile, signed in:     " + sso + "\n" +
		"  keys in the environment:       AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys)\n" +
		"On EC2, ECS or Lambda, the instance or task role provides them."
}

// fieldFlags are the flags that set the deployer's input fields.
var fieldFlags = map[string]string{
	deploy.FieldStackName: "--stack",
	deploy.FieldRoleARN:   "--role-arn",
	deploy.FieldTimeout:   "--timeout",
	deploy.FieldRegion:    "--region",
}

// inFlagTerms renames the problems the deployer found in its input from
// the field they concern to the flag that sets it.
func inFlagTerms(err error) {
	var verr *stack.ValidationError
	if !errors.As(err, &verr) {
		return
	}
	for i, p := range verr.Problems {
		if flag, ok := fieldFlags[p.Key]; ok {
			verr.Problems[i].Key = flag
		}
		// A parameter without a flag of its own is given with --parameter.
		if name, ok := strings.CutPrefix(p.Key, deploy.FieldParameters+"."); ok {
			verr.Problems[i].Key = "--parameter"
			if strings.Contains(p.Message, "is required") {
				verr.Problems[i].Message += "; set it with --parameter " + name + "=VALUE"
			}
		}
	}
}
