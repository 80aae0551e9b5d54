// Package preflight looks at the account before a deploy changes anything:
// that the subnets are in the VPC and spread over Availability Zones, that
// the tasks' subnets have a route out, that the certificate is issued and
// covers the domain, that the secrets and the ECR image exist. It also
// finds a region's default VPC and picks its subnets for a first deploy
// that names none.
//
// Every check only reads, and reads metadata only: never a secret's value.
// A problem is bad input the deploy must not start with; a read the
// credentials may not make is a warning that names the IAM action, and the
// check is skipped.
//
// The EC2 and Secrets Manager calls go through a small hand-written client
// (client.go) signed with the SDK's SigV4 signer and the loaded
// aws.Config, not the SDK's generated clients: the EC2 one, linked beside
// urfave/cli's text/template, adds about 21 MB to the binary, and it is
// slow to compile on a fresh machine (see the README's Development
// section for the measurements). ACM, SSM and ECR are read with the SDK
// clients the binary has for other commands.
package preflight
