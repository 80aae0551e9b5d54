package stack

import (
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
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
	// name CloudFormation refuses the empty value (AllowedPattern).
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

// settingParameters are the parameters whose Default is a setting, and
// the value of each for a Config; ok is false when the template does not
// declare the parameter for it. addParameters writes the same values as
// the Defaults (TestSettingParameters holds the two together).
var settingParameters = []struct {
	key, param string
	value      func(Config) (value string, ok bool)
}{
	{KeyImage, ParamContainerImage, func(c Config) (string, bool) { return c.Container.Image, true }},
	// With autoscaling the scaling policy owns the count: there is no
	// DesiredCount parameter.
	{KeyDesiredCount, ParamDesiredCount, func(c Config) (string, bool) {
		return strconv.Itoa(c.Service.DesiredCount), !c.Scaling.Enabled()
	}},
	// With autoscaling the bounds are parameters instead.
	{KeyMinCount, ParamMinCount, func(c Config) (string, bool) { return strconv.Itoa(c.Scaling.MinCount), c.Scaling.Enabled() }},
	{KeyMaxCount, ParamMaxCount, func(c Config) (string, bool) { return strconv.Itoa(c.Scaling.MaxCount), c.Scaling.Enabled() }},
	{KeyPublicTasks, ParamAssignPublicIP, func(c Config) (string, bool) { return assignPublicIP(c.Service.PublicTasks), true }},
}

// ParameterSettings maps each parameter whose Default is a setting to that
// setting's key (ContainerImage: image).
func ParameterSettings() map[string]string {
	out := make(map[string]string, len(settingParameters))
	for _, s := range settingParameters {
		out[s.param] = s.key
	}
	return out
}

// SettingParameters returns the values of the parameters whose Default is
// one of the settings in given (setting keys), by parameter name. A deploy
// sends them: without a value, an update keeps the parameter's previous
// value and changes only its Default. A parameter the template does not
// declare for cfg is left out.
func SettingParameters(cfg Config, given map[string]bool) map[string]string {
	values := map[string]string{}
	for _, s := range settingParameters {
		if v, ok := s.value(cfg); ok && given[s.key] {
			values[s.param] = v
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
	t.Parameters[ParamPublicSubnetIDs] = cloudformation.Parameter{
		Type:        "List<AWS::EC2::Subnet::Id>",
		Description: cloudformation.String("At least two public subnets of the VPC, in different Availability Zones, for the load balancer (and for the tasks when AssignPublicIp is ENABLED)."),
	}
	t.Parameters[ParamPrivateSubnetIDs] = cloudformation.Parameter{
		Type:        "List<AWS::EC2::Subnet::Id>",
		Description: cloudformation.String("Private subnets of the VPC, with a route to a NAT gateway, for the tasks when AssignPublicIp is DISABLED."),
	}
	certificate := cloudformation.Parameter{
		Type:                  "String",
		Description:           cloudformation.String("ARN of the ACM certificate the HTTPS listener serves, in the stack's Region."),
		AllowedPattern:        cloudformation.String(CertificateArnPattern),
		ConstraintDescription: cloudformation.String("must be an ACM certificate ARN, such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"),
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

	t.Conditions[condPublicTasks] = cloudformation.Equals(cloudformation.Ref(ParamAssignPublicIP), "ENABLED")

	serviceParameters := []string{ParamContainerImage}
	if !cfg.Scaling.Enabled() {
		serviceParameters = append(serviceParameters, ParamDesiredCount)
	} else {
		serviceParameters = append(serviceParameters, ParamMinCount, ParamMaxCount)
	}
	t.Metadata["AWS::CloudFormation::Interface"] = map[string]any{
		"ParameterGroups": []any{
			parameterGroup("Network", ParamVpcID, ParamPublicSubnetIDs, ParamPrivateSubnetIDs, ParamAssignPublicIP),
			parameterGroup("HTTPS", ParamCertificateArn),
			parameterGroup("Service", serviceParameters...),
		},
		"ParameterLabels": map[string]any{
			ParamVpcID:            label("VPC"),
			ParamPublicSubnetIDs:  label("Public subnets"),
			ParamPrivateSubnetIDs: label("Private subnets"),
			ParamAssignPublicIP:   label("Public IPs for tasks"),
			ParamCertificateArn:   label("ACM certificate ARN"),
			ParamContainerImage:   label("Container image"),
		},
	}
	if !cfg.Scaling.Enabled() {
		labels := t.Metadata["AWS::CloudFormation::Interface"].(map[string]any)["ParameterLabels"].(map[string]any)
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
