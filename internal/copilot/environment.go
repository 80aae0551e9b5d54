package copilot

import (
	"fmt"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	"github.com/cfnfargate/cfnfargate/stack"
)

// The container's environment: variables, env_file and secrets.

// envNamePattern is what Copilot and ECS take as a variable name.
var envNamePattern = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

// environment maps variables, env_file and secrets.
func (im *importer) environment() {
	vars := map[string]string{}
	var order []string
	add := func(name, value string) {
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = value
	}
	firstLine := 0

	if f, ok := im.root.get("env_file"); ok {
		firstLine = f.line()
		for _, kv := range im.envFile(f) {
			add(kv[0], kv[1])
		}
	}
	// variables win over the env_file: "If there are environment variables
	// specified using the environment parameter in a container definition,
	// they take precedence over the variables contained within an
	// environment file" (ECS API reference, EnvironmentFile).
	if v, ok := im.root.get("variables"); ok && !v.isNull() {
		if firstLine == 0 {
			firstLine = v.line()
		}
		if !v.isMap() {
			im.addProblem(ptr(v.wrongType("a map of variable names to values")))
		}
		for _, e := range v.entries() {
			switch {
			case e.value.isMap():
				im.report(Unsupported, e.value, "takes its value from a CloudFormation export (from_cfn): look it up (aws cloudformation list-exports) and give the value in the config's env")
			case e.value.isScalar():
				add(e.name, e.value.Value)
			case e.value.isNull():
				add(e.name, "")
			default:
				im.addProblem(ptr(e.value.wrongType("a string, a number or true/false")))
			}
		}
	}
	// Copilot gives every task these variables (variables in
	// lb-web-service.en.md, "Copilot will include a number of environment
	// variables by default"); code that reads them keeps working.
	builtins := [][2]string{{"COPILOT_APPLICATION_NAME", im.opts.App}, {"COPILOT_ENVIRONMENT_NAME", im.opts.Env}, {"COPILOT_SERVICE_NAME", im.res.Service}}
	var added []string
	for _, b := range builtins {
		if _, set := vars[b[0]]; !set && b[1] != "" {
			add(b[0], b[1])
			added = append(added, b[0])
		}
	}
	env := make([]string, 0, len(order))
	for _, name := range order {
		env = append(env, name+"="+vars[name])
	}
	s := im.setFrom(stack.KeyEnv, "variables", firstLine, env...)
	s.List = true
	if len(added) > 0 {
		s.Note = "with " + strings.Join(added, ", ") + ", which Copilot sets in every task"
	}
	im.find(Finding{Kind: Changed, Key: "variables", Line: firstLine, Message: "Copilot also set COPILOT_LB_DNS and COPILOT_SERVICE_DISCOVERY_ENDPOINT in every task; cfnfargate does not: code that reads them needs the stack's LoadBalancerDNSName output instead"})

	im.secrets()
}

// envFile reads the env_file Copilot uploaded to S3 for ECS: VARIABLE=VALUE
// lines, with lines beginning with # ignored, and no shell escape handling
// (ECS API reference, EnvironmentFile).
func (im *importer) envFile(f node) [][2]string {
	path, p := f.str()
	if im.addProblem(p) {
		return nil
	}
	if im.opts.ReadEnvFile == nil {
		im.report(Unsupported, f, "cfnfargate has no environment files: put the variables of %s in the config's env", path)
		return nil
	}
	data, err := im.opts.ReadEnvFile(path)
	if err != nil {
		im.report(Unsupported, f, "could not read %s (%v): cfnfargate has no environment files; put its variables in the config's env", path, err)
		return nil
	}
	var out [][2]string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !envNamePattern.MatchString(name) {
			im.problems = append(im.problems, Problem{Key: "env_file", Line: f.line(), Message: fmt.Sprintf("%s line %d: expected NAME=VALUE", path, i+1)})
			continue
		}
		out = append(out, [2]string{name, value})
	}
	im.report(Changed, f, "the variables of %s are copied into the config's env: cfnfargate has no environment files, so edit them there from now on", path)
	return out
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// secrets maps secrets onto NAME=ARN pairs: cfnfargate's secret setting
// takes ARNs, which scope the task's IAM policy to exactly these secrets.
func (im *importer) secrets() {
	sec, ok := im.root.get("secrets")
	if !ok || sec.isNull() {
		return
	}
	if !sec.isMap() {
		im.addProblem(ptr(sec.wrongType("a map of variable names to SSM parameter names or Secrets Manager secrets")))
		return
	}
	var pairs []string
	for _, e := range sec.entries() {
		var arn string
		switch {
		case e.value.isScalar():
			arn = im.ssmARN(e.value)
		case e.value.isMap():
			if sm, ok := e.value.get("secretsmanager"); ok {
				arn = im.secretsManagerARN(sm)
			} else if _, ok := e.value.get("from_cfn"); ok {
				im.report(Unsupported, e.value, "takes its ARN from a CloudFormation export (from_cfn): look it up (aws cloudformation list-exports) and add %s=ARN to the config's secret", e.name)
			} else {
				im.problem(e.value, "expected an SSM parameter name, or a map with secretsmanager or from_cfn")
			}
		default:
			im.addProblem(ptr(e.value.wrongType("an SSM parameter name, or a map with secretsmanager")))
		}
		if arn != "" {
			pairs = append(pairs, e.name+"="+arn)
		}
	}
	if len(pairs) > 0 {
		s := im.set(stack.KeySecret, sec, pairs...)
		s.List = true
	}
}

// ssmARN turns an SSM parameter name into its ARN. A name that begins with
// a slash appears in the ARN without it (IAM Service Authorization
// Reference, AWS Systems Manager: arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterName}).
func (im *importer) ssmARN(n node) string {
	name := n.Value
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	if !im.haveAccount(n, fmt.Sprintf("is the SSM parameter %s; cfnfargate's secret setting takes its ARN, arn:aws:ssm:REGION:ACCOUNT:parameter/%s", name, strings.TrimPrefix(name, "/"))) {
		return ""
	}
	return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", partition(im.opts.Region), im.opts.Region, im.opts.Account, strings.TrimPrefix(name, "/"))
}

// secretsManagerARN turns a secret's name (with an optional
// :json-key:version-stage:version-id suffix, as Copilot passes it to ECS)
// into a partial ARN: cfnfargate's IAM policy matches the six random
// characters Secrets Manager appends to the name with "-??????".
func (im *importer) secretsManagerARN(n node) string {
	v, p := n.str()
	if im.addProblem(p) || strings.HasPrefix(v, "arn:") {
		return v
	}
	if !im.haveAccount(n, fmt.Sprintf("is the Secrets Manager secret %s; cfnfargate's secret setting takes its ARN, arn:aws:secretsmanager:REGION:ACCOUNT:secret:%s", v, v)) {
		return ""
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", partition(im.opts.Region), im.opts.Region, im.opts.Account, v)
}

func (im *importer) haveAccount(n node, what string) bool {
	if im.opts.Region != "" && im.opts.Account != "" {
		return true
	}
	im.problem(n, "%s: give --region and --account (those of the stack) to build it, or write the ARN into the manifest", what)
	return false
}
