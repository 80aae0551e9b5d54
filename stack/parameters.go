package stack

import (
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// CertificateArnPattern matches an ACM certificate ARN in any partition
// (aws, aws-cn, aws-us-gov, ...).
const CertificateArnPattern = `^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$`

// notPrivateECRPattern matches any image except one whose registry host
// starts with a 12-digit account ID and a dot, which is how every private
// ECR host starts (ACCOUNT.dkr.ecr.REGION..., ACCOUNT.dkr.ecr-fips...,
// ACCOUNT.dkr-ecr.REGION.on.aws). It says "not 12 digits and then a
// non-digit" without lookahead, which Go's regexp (used by the tests)
// lacks; Java's, which CloudFormation uses, reads it the same way.
const notPrivateECRPattern = `^(?:[0-9]{0,11}(?:[^0-9]|$)|[0-9]{13}).*$`

// DeployParameters are the values a deploy gives the parameters that no
// setting has a default for: where the stack runs and the certificate its
// HTTPS listener serves. An empty value is left out, so that a create
// fails on a missing one and an update keeps the previous value.
type DeployParameters struct {
	VpcID            string
	PublicSubnetIDs  []string
	PrivateSubnetIDs []string
	CertificateArn   string
	// CreateCertificate sends CertificateArn empty when it is: with a
	// domain name, an empty CertificateArn makes the stack create and
	// validate a certificate (condition CreateCertificate), also on an
	// update that would otherwise keep the previous ARN. Without a domain
	// name it makes the load balancer serve HTTP only (condition
	// NoCertificate).
	CreateCertificate bool
}

// Values returns the parameter values to send, by parameter name.
func (p DeployParameters) Values() map[string]string {
	values := map[string]string{}
	for name, value := range map[string]string{
		ParamVpcID:            p.VpcID,
		ParamPublicSubnetIDs:  strings.Join(p.PublicSubnetIDs, ","),
		ParamPrivateSubnetIDs: strings.Join(p.PrivateSubnetIDs, ","),
		ParamCertificateArn:   p.CertificateArn,
	} {
		if value != "" || (name == ParamCertificateArn && p.CreateCertificate) {
			values[name] = value
		}
	}
	return values
}

// ParameterSettings maps each parameter whose Default is a setting to that
// setting's key (ContainerImage: image).
func ParameterSettings() map[string]string {
	out := map[string]string{}
	for _, s := range settings {
		if s.Parameter != "" {
			out[s.Parameter] = s.Key
		}
	}
	return out
}

// parameterValue is the value of s's parameter for cfg, and whether the
// template declares the parameter for cfg. addParameters writes the same
// values as the Defaults (TestSettingParameters holds the two together).
func (s Setting) parameterValue(cfg Config) (string, bool) {
	if s.ParameterValue != nil {
		return s.ParameterValue(cfg)
	}
	return strings.Join(s.Value(cfg), ","), true
}

// SettingParameters returns the values of the parameters whose Default is
// one of the settings in given (setting keys), by parameter name. A deploy
// sends them: without a value, an update keeps the parameter's previous
// value and changes only its Default. A parameter the template does not
// declare for cfg is left out.
func SettingParameters(cfg Config, given map[string]bool) map[string]string {
	values := map[string]string{}
	for _, s := range settings {
		if s.Parameter == "" || !given[s.Key] {
			continue
		}
		if v, ok := s.parameterValue(cfg); ok {
			values[s.Parameter] = v
		}
	}
	return values
}

// addParameters adds the template's parameters, the conditions that read
// them, and the console metadata that groups and labels them.
func addParameters(t *cloudformation.Template, cfg Config) {
	t.Parameters[ParamVpcID] = cloudformation.Parameter{
		Type:        "AWS::EC2::VPC::Id",
		Description: cloudformation.String("The existing VPC to deploy into."),
	}
	public := "At least two public subnets of the VPC, in different Availability Zones, for the load balancer (and for the tasks when AssignPublicIp is ENABLED)."
	if inEnvironment(cfg) {
		public = "Public subnets of the VPC, for the tasks when AssignPublicIp is ENABLED: the output PublicSubnetIds of stack " + EnvironmentStackName(cfg.Environment.Name) + "."
	}
	t.Parameters[ParamPublicSubnetIDs] = cloudformation.Parameter{
		Type:        "List<AWS::EC2::Subnet::Id>",
		Description: cloudformation.String(public),
	}
	t.Parameters[ParamPrivateSubnetIDs] = cloudformation.Parameter{
		Type:        "List<AWS::EC2::Subnet::Id>",
		Description: cloudformation.String("Private subnets of the VPC, with a route to a NAT gateway, for the tasks when AssignPublicIp is DISABLED."),
	}
	if inEnvironment(cfg) {
		addEnvironmentInputs(t, cfg)
	} else {
		addCertificateParameters(t, cfg)
	}
	addServiceParameters(t, cfg)
}

// addCertificateParameters adds the HTTPS listener's certificates.
func addCertificateParameters(t *cloudformation.Template, cfg Config) {
	certificate := cloudformation.Parameter{
		Type:                  "String",
		Description:           cloudformation.String("ARN of the ACM certificate the HTTPS listener serves, in the stack's Region."),
		AllowedPattern:        cloudformation.String(CertificateArnPattern),
		ConstraintDescription: cloudformation.String("must be an ACM certificate ARN, such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"),
	}
	if cfg.AllowsHTTPOnly() {
		// Without a certificate the load balancer serves HTTP only, so
		// that a first deploy needs no domain: the parameter becomes
		// optional, and a stack updated later with a certificate gets
		// the HTTPS listener and the redirect.
		certificate.Default = ""
		certificate.Description = cloudformation.String("ARN of the ACM certificate the HTTPS listener serves, in the stack's Region. Leave empty to serve HTTP only, unencrypted; set it later to add HTTPS.")
		certificate.AllowedPattern = cloudformation.String("^$|" + CertificateArnPattern)
		certificate.ConstraintDescription = cloudformation.String("must be empty (HTTP only) or an ACM certificate ARN, such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789")
		noCertificate := cloudformation.Equals(cloudformation.Ref(ParamCertificateArn), "")
		t.Conditions[condNoCertificate] = noCertificate
		// The same test negated, not !Not [!Condition NoCertificate]:
		// moto 5.2 evaluates a Condition inside Fn::Not as true.
		t.Conditions[condHasCertificate] = cloudformation.Not([]string{noCertificate})
	}
	if cfg.Domain.Name != "" {
		// With a domain, the stack can create and validate the certificate
		// itself: the parameter becomes optional.
		certificate.Default = ""
		certificate.Description = cloudformation.String("ARN of an ACM certificate for " + cfg.Domain.Name + ", in the stack's Region. Leave empty to create a DNS-validated certificate in the hosted zone.")
		certificate.AllowedPattern = cloudformation.String("^$|" + CertificateArnPattern)
		certificate.ConstraintDescription = cloudformation.String("must be empty or an ACM certificate ARN, such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789")
		t.Conditions[condCreateCertificate] = cloudformation.Equals(cloudformation.Ref(ParamCertificateArn), "")
	}
	t.Parameters[ParamCertificateArn] = certificate
	for n := 1; n <= cfg.LoadBalancer.ExtraCertificates; n++ {
		t.Parameters[ExtraCertificateParam(n)] = cloudformation.Parameter{
			Type:                  "String",
			Description:           cloudformation.String("ARN of another ACM certificate the HTTPS listener serves, for the host names it covers (SNI)."),
			AllowedPattern:        cloudformation.String(CertificateArnPattern),
			ConstraintDescription: cloudformation.String("must be an ACM certificate ARN, such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"),
		}
	}
}

// addEnvironmentInputs adds the parameters a service in an environment
// takes from the environment stack's outputs of the same names. They are
// parameters, not Fn::ImportValue: the template stays one file to upload,
// and an environment with exports could not change what it exports while
// a service imports it.
func addEnvironmentInputs(t *cloudformation.Template, cfg Config) {
	environment := EnvironmentStackName(cfg.Environment.Name)
	inputs := map[string]string{
		ParamListenerArn:                 "ARN of the HTTPS listener of the environment's load balancer",
		ParamLoadBalancerSecurityGroupID: "Security group of the environment's load balancer",
		ParamLoadBalancerDNSName:         "DNS name of the environment's load balancer",
		ParamClusterName:                 "Name of the environment's ECS cluster",
	}
	if cfg.Domain.Name != "" {
		inputs[ParamLoadBalancerHostedZoneID] = "Canonical hosted zone ID of the environment's load balancer"
	}
	switch {
	case cfg.Scaling.Enabled() && cfg.Scaling.RequestsPerTarget > 0:
		inputs[ParamLoadBalancerFullName] = "Full name of the environment's load balancer (app/NAME/ID), for scaling on requests"
	case builtInAlarms(cfg):
		inputs[ParamLoadBalancerFullName] = "Full name of the environment's load balancer (app/NAME/ID), for the rollback alarms"
	}
	for name, what := range inputs {
		t.Parameters[name] = cloudformation.Parameter{
			Type:        "String",
			Description: cloudformation.String(what + ": the output " + name + " of stack " + environment + "."),
			MinLength:   cloudformation.Int(1),
		}
	}
	t.Parameters[ParamLoadBalancerSecurityGroupID] = cloudformation.Parameter{
		Type:        "AWS::EC2::SecurityGroup::Id",
		Description: cloudformation.String(inputs[ParamLoadBalancerSecurityGroupID] + ": the output " + ParamLoadBalancerSecurityGroupID + " of stack " + environment + "."),
	}
	// An environment made before it has no such output: deploy the
	// environment again first (README, "Upgrading a stack made by an
	// earlier cfnfargate").
	t.Parameters[ParamServicesSecurityGroupID] = cloudformation.Parameter{
		Type:        "AWS::EC2::SecurityGroup::Id",
		Description: cloudformation.String("Security group the environment's load balancer reaches, which the tasks join: the output " + ParamServicesSecurityGroupID + " of stack " + environment + "."),
	}
	if cfg.Domain.Name != "" {
		t.Parameters[ParamLoadBalancerIPAddressType] = cloudformation.Parameter{
			Type:          "String",
			Description:   cloudformation.String("IP address type of the environment's load balancer, for the DNS records: the output " + ParamLoadBalancerIPAddressType + " of stack " + environment + "."),
			Default:       "ipv4",
			AllowedValues: []any{"ipv4", "dualstack"},
		}
	}
}

// addServiceParameters adds the image, the task count and the public-IP
// choice, and the console metadata that groups and labels every parameter.
func addServiceParameters(t *cloudformation.Template, cfg Config) {
	image := cloudformation.Parameter{
		Type:        "String",
		Description: cloudformation.String("The container image to run."),
		Default:     cfg.Container.Image,
		MinLength:   cloudformation.Int(1),
		MaxLength:   cloudformation.Int(maxImageLength),
	}
	if ecr, ok := parseECRImage(cfg.Container.Image); ok {
		image.AllowedPattern = cloudformation.String(ecr.imagePatternFor())
		image.ConstraintDescription = cloudformation.String("must be an image of the ECR repository " + ecr.Registry() + "/" + ecr.Repository + ": the execution role may pull only from it")
	} else {
		// On Fargate the execution role pulls private ECR images (ECS
		// developer guide, "Amazon ECS task execution IAM role"), and this
		// template's role has no ECR permissions: a private ECR image typed
		// in the console would fail every task with CannotPullContainerError
		// and roll the stack back.
		image.AllowedPattern = cloudformation.String(notPrivateECRPattern)
		image.ConstraintDescription = cloudformation.String("must not be a private Amazon ECR image (a host that starts with an account ID): this template's execution role cannot pull from ECR. Emit the template again with --image set to the ECR image to get pull permissions for its repository")
	}
	t.Parameters[ParamContainerImage] = image

	if !cfg.Scaling.Enabled() {
		t.Parameters[ParamDesiredCount] = cloudformation.Parameter{
			Type:        "Number",
			Description: cloudformation.String("How many tasks to run."),
			Default:     cfg.Service.DesiredCount,
			MinValue:    cloudformation.Float64(0),
			MaxValue:    cloudformation.Float64(maxDesiredCount),
		}
	} else {
		// The ranges are those Config.Validate applies to min-count and
		// max-count; MinCapacity and MaxCapacity take 0 and up
		// (Application Auto Scaling API reference, RegisterScalableTarget).
		t.Parameters[ParamMinCount] = cloudformation.Parameter{
			Type:        "Number",
			Description: cloudformation.String("The fewest tasks autoscaling keeps running."),
			Default:     cfg.Scaling.MinCount,
			MinValue:    cloudformation.Float64(0),
			MaxValue:    cloudformation.Float64(maxDesiredCount),
		}
		t.Parameters[ParamMaxCount] = cloudformation.Parameter{
			Type:        "Number",
			Description: cloudformation.String("The most tasks autoscaling may run; not below MinCount."),
			Default:     cfg.Scaling.MaxCount,
			MinValue:    cloudformation.Float64(1),
			MaxValue:    cloudformation.Float64(maxDesiredCount),
		}
	}
	t.Parameters[ParamAssignPublicIP] = cloudformation.Parameter{
		Type:          "String",
		Description:   cloudformation.String("ENABLED runs the tasks in the public subnets with public IPs; DISABLED runs them in the private subnets."),
		Default:       assignPublicIP(cfg.Service.PublicTasks),
		AllowedValues: []any{"ENABLED", "DISABLED"},
	}
	if cfg.Hardened && !cfg.Service.PublicTasks {
		// ECS.2 fails a service that assigns public IPs: the hardened
		// template does not let a deploy or the console choose them.
		p := t.Parameters[ParamAssignPublicIP]
		p.Description = cloudformation.String("DISABLED runs the tasks in the private subnets, without public IPs; hardened allows nothing else (ECS.2).")
		p.AllowedValues = []any{"DISABLED"}
		t.Parameters[ParamAssignPublicIP] = p
	}

	t.Conditions[condPublicTasks] = cloudformation.Equals(cloudformation.Ref(ParamAssignPublicIP), "ENABLED")

	serviceParameters := []string{ParamContainerImage}
	if !cfg.Scaling.Enabled() {
		serviceParameters = append(serviceParameters, ParamDesiredCount)
	} else {
		serviceParameters = append(serviceParameters, ParamMinCount, ParamMaxCount)
	}
	https := parameterGroup("HTTPS", ParamCertificateArn)
	if inEnvironment(cfg) {
		environment := []string{ParamListenerArn, ParamLoadBalancerSecurityGroupID, ParamServicesSecurityGroupID, ParamLoadBalancerDNSName, ParamClusterName}
		if cfg.Domain.Name != "" {
			environment = append(environment, ParamLoadBalancerHostedZoneID, ParamLoadBalancerIPAddressType)
		}
		if _, ok := t.Parameters[ParamLoadBalancerFullName]; ok {
			environment = append(environment, ParamLoadBalancerFullName)
		}
		https = parameterGroup("Environment "+cfg.Environment.Name+" (outputs of stack "+EnvironmentStackName(cfg.Environment.Name)+")", environment...)
	} else {
		for n := 1; n <= cfg.LoadBalancer.ExtraCertificates; n++ {
			https["Parameters"] = append(https["Parameters"].([]string), ExtraCertificateParam(n))
		}
	}
	t.Metadata["AWS::CloudFormation::Interface"] = map[string]any{
		"ParameterGroups": []any{
			parameterGroup("Network", ParamVpcID, ParamPublicSubnetIDs, ParamPrivateSubnetIDs, ParamAssignPublicIP),
			https,
			parameterGroup("Service", serviceParameters...),
		},
		"ParameterLabels": map[string]any{
			ParamVpcID:            label("VPC"),
			ParamPublicSubnetIDs:  label("Public subnets"),
			ParamPrivateSubnetIDs: label("Private subnets"),
			ParamAssignPublicIP:   label("Public IPs for tasks"),
			ParamContainerImage:   label("Container image"),
		},
	}
	labels := t.Metadata["AWS::CloudFormation::Interface"].(map[string]any)["ParameterLabels"].(map[string]any)
	if !inEnvironment(cfg) {
		labels[ParamCertificateArn] = label("ACM certificate ARN")
		if cfg.AllowsHTTPOnly() {
			labels[ParamCertificateArn] = label("ACM certificate ARN (empty: HTTP only)")
		}
		for n := 1; n <= cfg.LoadBalancer.ExtraCertificates; n++ {
			labels[ExtraCertificateParam(n)] = label("ACM certificate ARN " + strconv.Itoa(n+1))
		}
	}
	if !cfg.Scaling.Enabled() {
		labels[ParamDesiredCount] = label("Number of tasks")
	} else {
		labels := t.Metadata["AWS::CloudFormation::Interface"].(map[string]any)["ParameterLabels"].(map[string]any)
		labels[ParamMinCount] = label("Fewest tasks")
		labels[ParamMaxCount] = label("Most tasks")
	}
}

func assignPublicIP(public bool) string {
	if public {
		return "ENABLED"
	}
	return "DISABLED"
}

func parameterGroup(name string, parameters ...string) map[string]any {
	return map[string]any{
		"Label":      label(name),
		"Parameters": parameters,
	}
}

func label(text string) map[string]any { return map[string]any{"default": text} }
