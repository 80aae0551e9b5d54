package stack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// The container's secrets: environment variables whose values ECS reads at
// task start from SSM Parameter Store or Secrets Manager. Each is given by
// ARN or by name; a name becomes an ARN of the stack's own partition,
// region and account, so that one template works in every account, and the
// execution role may read exactly the secrets given.

// SecretsManagerPrefix marks a Secrets Manager secret given by name in
// Secret.From: secretsmanager:NAME[:json-key:version-stage:version-id].
const SecretsManagerPrefix = "secretsmanager:"

// Services of a SecretSource.
const (
	ServiceSSM            = "ssm"
	ServiceSecretsManager = "secretsmanager"
)

// SecretSource is where ECS reads a secret from, parsed from Secret.From.
type SecretSource struct {
	// Service is ServiceSSM or ServiceSecretsManager.
	Service string
	// Name is the SSM parameter's name as SSM spells it (/prod/db/password,
	// or password at the top level), or the secret's name (from a full ARN,
	// the name with the six characters Secrets Manager appends).
	Name string
	// Selector is a Secrets Manager reference's
	// ":json-key:version-stage:version-id", or "".
	Selector string
	// Partition, Region and Account are the ARN's when one was given, and
	// empty for a name, which takes the stack's own. A public parameter's
	// ARN has no account.
	Partition, Region, Account string
	// ByARN is true when From was an ARN.
	ByARN bool
}

// ARN is the source's ARN in the given partition, with the region and
// account given, or the ARN's own when the source was an ARN. It omits the
// Selector: it names the parameter or secret, as IAM and the SSM and
// Secrets Manager APIs take it.
func (s SecretSource) ARN(partition, region, account string) string {
	if s.ByARN {
		region, account = s.Region, s.Account
	}
	if s.public() {
		account = ""
	}
	return "arn:" + partition + ":" + s.Service + ":" + region + ":" + account + ":" + s.resource()
}

func (s SecretSource) resource() string {
	if s.Service == ServiceSSM {
		// A name that begins with a slash appears in the ARN without it
		// (IAM Service Authorization Reference, AWS Systems Manager:
		// arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterName};
		// SSM user guide, "Requirements and constraints for parameter
		// names": /TestParam1 and TestParam1 are the same parameter).
		return "parameter/" + strings.TrimPrefix(s.Name, "/")
	}
	return "secret:" + s.Name
}

// public reports a public parameter of AWS's own, /aws/service/...: its
// ARN has no account (arn:aws:ssm:us-east-2::parameter/aws/service/...,
// AWS CLI reference, ssm get-parameters-by-path, "To list the Amazon Linux
// AMI IDs").
func (s SecretSource) public() bool {
	return s.Service == ServiceSSM && strings.HasPrefix(s.Name, ssmPublicPrefix)
}

// referencedSecret is the Secrets Manager secret that a
// /aws/reference/secretsmanager/NAME parameter passes through, or "".
func (s SecretSource) referencedSecret() string {
	if s.Service != ServiceSSM {
		return ""
	}
	name, ok := strings.CutPrefix(s.Name, SSMSecretReferencePrefix)
	if !ok {
		return ""
	}
	return name
}

// The names under /aws/ that SSM reserves for AWS, and that a task may
// read.
const (
	// "When you retrieve a Secrets Manager secret from Parameter Store, the
	// name must begin with the following reserved path:
	// /aws/reference/secretsmanager/secret_ID_in_Secrets_Manager" (SSM user
	// guide, "Referencing AWS Secrets Manager secrets from Parameter Store
	// parameters").
	SSMSecretReferencePrefix = "/aws/reference/secretsmanager/"
	// AWS's public parameters (SSM user guide, "Working with public
	// parameters").
	ssmPublicPrefix = "/aws/service/"
)

// Limits of names, cited at their checks.
const (
	ssmMaxLevels        = 15
	ssmMaxARNLength     = 1011
	secretMaxNameLength = 512
	// The shortest ARN prefix a parameter can have: partition aws, a region
	// of 9 characters (us-east-1), an account of 12 digits. A name longer
	// than 1011 less this is too long in every region.
	ssmShortestARNPrefix = len("arn:aws:ssm:us-east-1:123456789012:parameter/")
)

var (
	// SSM parameter names: "a-zA-Z0-9_.-", and / between the levels of a
	// hierarchy (SSM API reference, PutParameter, Name).
	ssmNameCharacters = lazyregexp.New(`^[A-Za-z0-9_./-]+$`)
	// Secrets Manager names: "ASCII letters, numbers, and the following
	// characters: /_+=.@-" (Secrets Manager API reference, CreateSecret,
	// Name).
	secretNameCharacters = lazyregexp.New(`^[A-Za-z0-9/_+=.@-]+$`)
	// A JSON key, version stage or version ID of a reference: no colon,
	// which separates them, and no $, which would start a variable of the
	// template's !Sub.
	secretSelectorField = lazyregexp.New(`^[^:$]*$`)
	ssmARN              = lazyregexp.New(`^arn:(aws[a-z-]*):ssm:([a-z0-9-]+):([0-9]{12})?:parameter/(.+)$`)
	secretsManagerARN   = lazyregexp.New(`^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):([0-9]{12}):secret:(.+)$`)
)

// ParseSecret reads a Secret's From: an SSM parameter or Secrets Manager
// secret ARN, an SSM parameter name, or secretsmanager:NAME with an
// optional :json-key:version-stage:version-id. The error says which rule
// of SSM or Secrets Manager the name breaks.
func ParseSecret(from string) (SecretSource, error) {
	switch {
	case strings.HasPrefix(from, "arn:"):
		return parseSecretARN(from)
	case strings.HasPrefix(from, SecretsManagerPrefix):
		name, selector, err := splitSelector(strings.TrimPrefix(from, SecretsManagerPrefix))
		if err != nil {
			return SecretSource{}, err
		}
		src := SecretSource{Service: ServiceSecretsManager, Name: name, Selector: selector}
		return src, checkSecretName(name)
	}
	src := SecretSource{Service: ServiceSSM, Name: from}
	if err := checkParameterName(from); err != nil {
		return src, err
	}
	// The ARN's length counts (SSM user guide, "Requirements and
	// constraints for parameter names": "The maximum length for a parameter
	// name, including the full content of the parameter ARN, is 1011
	// characters"); the stack's region is not known here, so the check
	// takes the shortest ARN a parameter can have.
	if n := ssmShortestARNPrefix + len(strings.TrimPrefix(from, "/")); n > ssmMaxARNLength {
		return src, fmt.Errorf("is %d characters long: SSM allows up to %d with the parameter's ARN, which leaves at most %d for the name (SSM user guide, \"Requirements and constraints for parameter names\")", len(from), ssmMaxARNLength, ssmMaxARNLength-ssmShortestARNPrefix)
	}
	return src, nil
}

func parseSecretARN(arn string) (SecretSource, error) {
	if m := ssmARN.FindStringSubmatch(arn); m != nil {
		name := m[4]
		if strings.Contains(name, "/") {
			name = "/" + name
		}
		src := SecretSource{Service: ServiceSSM, Name: name, Partition: m[1], Region: m[2], Account: m[3], ByARN: true}
		if err := checkParameterName(name); err != nil {
			return src, err
		}
		if src.Account == "" && !src.public() {
			return src, fmt.Errorf("has no account: only AWS's public parameters, %s..., have none", ssmPublicPrefix)
		}
		if len(arn) > ssmMaxARNLength {
			return src, fmt.Errorf("is %d characters long: SSM allows up to %d for a parameter's ARN (SSM user guide, \"Requirements and constraints for parameter names\")", len(arn), ssmMaxARNLength)
		}
		return src, nil
	}
	if m := secretsManagerARN.FindStringSubmatch(arn); m != nil {
		name, selector, err := splitSelector(m[4])
		src := SecretSource{Service: ServiceSecretsManager, Name: name, Selector: selector, Partition: m[1], Region: m[2], Account: m[3], ByARN: true}
		if err != nil {
			return src, err
		}
		return src, checkSecretName(name)
	}
	return SecretSource{}, fmt.Errorf("is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)")
}

// splitSelector cuts a secret reference into the secret's name and its
// ":json-key:version-stage:version-id", which ECS takes in valueFrom
// after the secret, with all three fields, any of them empty (ECS
// developer guide, "Pass Secrets Manager secrets through Amazon ECS
// environment variables": arn:aws:secretsmanager:region:aws_account_id:secret:secret-name:json-key:version-stage:version-id).
func splitSelector(ref string) (name, selector string, err error) {
	name, rest, found := strings.Cut(ref, ":")
	if !found {
		return name, "", nil
	}
	fields := strings.Split(rest, ":")
	if len(fields) != 3 {
		return name, "", fmt.Errorf("has %d field(s) after the secret's name: ECS takes exactly three, :json-key:version-stage:version-id, any of them empty (NAME:password:: reads the JSON key password)", len(fields))
	}
	for _, f := range fields {
		if !secretSelectorField.MatchString(f) {
			return name, "", fmt.Errorf("has a $ in its JSON key, version stage or version ID, which the template cannot carry")
		}
	}
	return name, ":" + rest, nil
}

// checkParameterName applies SSM's rules for parameter names (SSM API
// reference, PutParameter, Name; SSM user guide, "Requirements and
// constraints for parameter names").
func checkParameterName(name string) error {
	if name == "" {
		return fmt.Errorf("is empty: give an SSM parameter name such as /prod/db/password, a Secrets Manager secret as secretsmanager:NAME, or an ARN")
	}
	if reference, ok := strings.CutPrefix(name, SSMSecretReferencePrefix); ok {
		// The rest is a Secrets Manager secret's name, with that service's
		// characters.
		if err := checkSecretName(reference); err != nil {
			return fmt.Errorf("references the Secrets Manager secret %q, which %w", reference, err)
		}
		return nil
	}
	if !ssmNameCharacters.MatchString(name) {
		return fmt.Errorf("has characters SSM does not allow in a parameter name: only letters, digits, _ . - and / between levels (SSM API reference, PutParameter); a Secrets Manager secret is secretsmanager:NAME")
	}
	// The empty levels first: the name that "not fully qualified"
	// suggests must be valid itself (/a//b is not).
	levels := strings.Split(strings.TrimPrefix(name, "/"), "/")
	for _, l := range levels {
		if l == "" {
			return fmt.Errorf("has an empty level (// or a / at the end): each level between slashes needs a name")
		}
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return fmt.Errorf("is not fully qualified: a parameter in a hierarchy starts with /, as in /%s (SSM user guide, \"Requirements and constraints for parameter names\")", name)
	}
	if len(levels) > ssmMaxLevels {
		return fmt.Errorf("has %d levels: SSM allows up to %d (SSM user guide, \"Requirements and constraints for parameter names\", hierarchy depth)", len(levels), ssmMaxLevels)
	}
	// "A parameter name can't be prefixed with "aws" or "ssm"
	// (case-insensitive)", /aws/testparam1 included (SSM user guide): no one
	// can create such a parameter, so only AWS's own are there to read.
	if lower := strings.ToLower(strings.TrimPrefix(name, "/")); strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		if !strings.HasPrefix(name, ssmPublicPrefix) {
			return fmt.Errorf("begins with aws or ssm, which SSM reserves: no parameter can be created with such a name (SSM user guide, \"Requirements and constraints for parameter names\"); AWS's own under /aws/ are %sNAME (a Secrets Manager secret) and the public parameters %s...", SSMSecretReferencePrefix, ssmPublicPrefix)
		}
	}
	return nil
}

// checkSecretName applies Secrets Manager's rules for secret names
// (Secrets Manager API reference, CreateSecret, Name: 1 to 512 characters
// of ASCII letters, numbers and /_+=.@-).
func checkSecretName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("names no secret: give secretsmanager:NAME, such as secretsmanager:prod/db")
	case len(name) > secretMaxNameLength:
		return fmt.Errorf("is %d characters long: Secrets Manager allows up to %d (Secrets Manager API reference, CreateSecret)", len(name), secretMaxNameLength)
	case !secretNameCharacters.MatchString(name):
		return fmt.Errorf("has characters Secrets Manager does not allow in a secret name: only ASCII letters, digits and / _ + = . @ - (Secrets Manager API reference, CreateSecret)")
	}
	return nil
}

// Template forms of a source: an ARN with the stack's own partition, and
// its own region and account unless the source was an ARN.
const (
	partitionVar = "${AWS::Partition}"
	regionVar    = "${AWS::Region}"
	accountVar   = "${AWS::AccountId}"
)

// secretValueFrom is a container secret's ValueFrom: the ARN, with the
// selector ECS reads a JSON key or version by. A name becomes an ARN of
// the stack's region and account, which ECS needs for a Secrets Manager
// secret (a partial ARN, its name without the six random characters,
// works too) and which keeps SSM parameters and secrets alike in the IAM
// policy's terms.
func secretValueFrom(src SecretSource) string {
	return cloudformation.Sub(src.ARN(partitionVar, regionVar, accountVar) + src.Selector)
}

// secretStatements let ECS read exactly the given secrets and parameters.
// The sources were checked by Validate; one that does not parse is left
// out.
func secretStatements(secrets []Secret) []statement {
	var secretARNs, parameterARNs []string
	addSecret := func(arn string) {
		for _, r := range secretResources(arn) {
			secretARNs = appendUnique(secretARNs, cloudformation.Sub(r))
		}
	}
	for _, s := range secrets {
		src, err := ParseSecret(s.From)
		if err != nil {
			continue
		}
		arn := src.ARN(partitionVar, regionVar, accountVar)
		if src.Service == ServiceSecretsManager {
			addSecret(arn)
			continue
		}
		parameterARNs = appendUnique(parameterARNs, cloudformation.Sub(arn))
		if name := src.referencedSecret(); name != "" {
			// Parameter Store passes the read through and "honors IAM
			// policies attached to Secrets Manager secrets" (SSM user guide,
			// "Referencing AWS Secrets Manager secrets from Parameter Store
			// parameters"): the role needs the secret too.
			addSecret("arn:" + partitionVar + ":secretsmanager:" + orVar(src.Region, regionVar) + ":" +
				orVar(src.Account, accountVar) + ":secret:" + name)
		}
	}
	var out []statement
	if len(secretARNs) > 0 {
		out = append(out, statement{
			"Sid":      "ReadSecrets",
			"Effect":   "Allow",
			"Action":   "secretsmanager:GetSecretValue",
			"Resource": secretARNs,
		})
	}
	if len(parameterARNs) > 0 {
		out = append(out, statement{
			"Sid":      "ReadParameters",
			"Effect":   "Allow",
			"Action":   "ssm:GetParameters",
			"Resource": parameterARNs,
		})
	}
	return out
}

func orVar(v, variable string) string {
	if v == "" {
		return variable
	}
	return v
}

// secretResources are the IAM resources that cover a Secrets Manager
// secret's ARN (without the selector, which IAM does not take).
//
// A full secret ARN ends in a hyphen and six random characters that
// Secrets Manager appends to the name; a partial ARN lacks them and needs
// the "-??????" wildcard the Secrets Manager user guide recommends, which
// matches that one secret and not others that start with the same name.
// A name such as "app-config" cannot be told apart from a full ARN, so it
// gets both forms.
func secretResources(arn string) []string {
	if secretSuffix.MatchString(arn) {
		return []string{arn, arn + "-??????"}
	}
	return []string{arn + "-??????"}
}

var secretSuffix = lazyregexp.New(`-[A-Za-z0-9]{6}$`)

// secrets checks the secrets' variable names and sources.
func (v *validator) secrets(secrets []Secret, env []EnvVar) {
	seen := map[string]bool{}
	for _, e := range env {
		seen[e.Name] = true
	}
	for _, s := range secrets {
		switch {
		case !envNamePattern.MatchString(s.Name):
			v.add(KeySecret, "%q is not a valid variable name: use letters, digits and underscores, not starting with a digit (NAME=SOURCE)", s.Name)
		case seen[s.Name]:
			v.addCross(KeySecret, []string{KeyEnv}, "%s is set twice (as a secret or an env variable): give each variable once", s.Name)
		}
		seen[s.Name] = true
		if _, err := ParseSecret(s.From); err != nil {
			v.add(KeySecret, "%s: %s %v", s.Name, describeSource(s.From), err)
		}
	}
}

// describeSource names a source by what it looks like, for messages.
func describeSource(from string) string {
	switch {
	case strings.HasPrefix(from, "arn:"):
		return "the ARN " + strconv.Quote(from)
	case strings.HasPrefix(from, SecretsManagerPrefix):
		return "the Secrets Manager secret " + strconv.Quote(strings.TrimPrefix(from, SecretsManagerPrefix))
	}
	return "the SSM parameter " + strconv.Quote(from)
}
