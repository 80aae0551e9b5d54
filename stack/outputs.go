package stack

import (
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addOutputs adds what an operator looks up after a deploy.
func addOutputs(t *cloudformation.Template, cfg Config) {
	t.Outputs[OutputLoadBalancerDNSName] = cloudformation.Output{
		Description: cloudformation.String("DNS name of the load balancer; point your domain's CNAME or alias record here."),
		Value:       cloudformation.GetAtt(idLoadBalancer, "DNSName"),
	}
	if inEnvironment(cfg) {
		t.Outputs[OutputLoadBalancerDNSName] = cloudformation.Output{
			Description: cloudformation.String("DNS name of the environment's load balancer; point your domain's CNAME or alias record here."),
			Value:       cloudformation.Ref(ParamLoadBalancerDNSName),
		}
	}
	url := cloudformation.Output{
		Description: cloudformation.String("HTTPS URL of the service."),
		Value:       serviceURL(cfg),
	}
	switch {
	case cfg.AllowsHTTPOnly():
		// The listener serves the ACM certificate, which can never cover
		// the load balancer's own *.elb.amazonaws.com name: ACM validates
		// only names whose DNS you control.
		url.Description = cloudformation.String("URL on the load balancer's own DNS name: http without a certificate; https with one, but the certificate does not cover this name, so browsers warn: point a DNS record of the certificate's domain at LoadBalancerDNSName, or emit with --domain-name.")
		url.Value = cloudformation.If(condHasCertificate, serviceURL(cfg), cloudformation.Sub("http://${"+idLoadBalancer+".DNSName}"))
		t.Outputs[OutputHTTPOnly] = cloudformation.Output{
			Description: cloudformation.String("Traffic to the service is not encrypted."),
			Value:       "The load balancer serves plain HTTP: traffic is not encrypted. To add HTTPS, update the stack with CertificateArn set to an ACM certificate in this Region; HTTP then redirects to HTTPS.",
			Condition:   cloudformation.String(condNoCertificate),
		}
	case cfg.Domain.Name == "" && !inEnvironment(cfg):
		// Hardened, without a domain: HTTPS only, with the same caveat.
		url.Description = cloudformation.String("HTTPS URL on the load balancer's own DNS name. The certificate does not cover this name, so browsers warn: point a DNS record of the certificate's domain at LoadBalancerDNSName, or emit with --domain-name.")
	}
	t.Outputs[OutputServiceURL] = url
	t.Outputs[OutputClusterName] = cloudformation.Output{
		Description: cloudformation.String("Name of the ECS cluster."),
		Value:       clusterName(cfg),
	}
	t.Outputs[OutputServiceName] = cloudformation.Output{
		Description: cloudformation.String("Name of the ECS service."),
		Value:       cloudformation.GetAtt(idService, "Name"),
	}
	t.Outputs[OutputLogGroupName] = cloudformation.Output{
		Description: cloudformation.String("Log group of the container."),
		Value:       cloudformation.Ref(idLogGroup),
	}
}
