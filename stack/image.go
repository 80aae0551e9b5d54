package stack

import (
	"regexp"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
)

// ecrImage is an image stored in an Amazon ECR private repository.
type ecrImage struct {
	Account    string
	Region     string
	Repository string
	// Host is the registry host as written, e.g.
	// 123456789012.dkr.ecr-fips.us-east-1.amazonaws.com.
	Host string
}

var ecrImagePattern = lazyregexp.New(`^(([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)/([a-z0-9][a-z0-9._/-]*?)(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?(?:@.*)?$`)

// parseECRImage reports whether image lives in a private ECR repository, and
// which one.
func parseECRImage(image string) (ecrImage, bool) {
	m := ecrImagePattern.FindStringSubmatch(image)
	if m == nil {
		return ecrImage{}, false
	}
	return ecrImage{Host: m[1], Account: m[2], Region: m[3], Repository: m[4]}, true
}

// Registry is the registry host of the image, e.g.
// 123456789012.dkr.ecr.eu-west-1.amazonaws.com.
func (e ecrImage) Registry() string { return e.Host }

// imagePatternFor is the AllowedPattern of the ContainerImage parameter for
// an ECR image: the execution role may pull only from this repository, so a
// deploy that points the parameter elsewhere is stopped by CloudFormation
// before ECS fails to pull.
func (e ecrImage) imagePatternFor() string {
	// The tag and digest parts are those the image validation accepts, so
	// the default always matches its own pattern.
	return "^" + regexp.QuoteMeta(e.Registry()+"/"+e.Repository) + imageTagAndDigest + "$"
}

// imageRepositoryName is the last part of an image's repository path,
// without registry, tag or digest: "nginx" for public.ecr.aws/nginx/nginx:1.28.
func imageRepositoryName(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, "/"); i >= 0 {
		image = image[i+1:]
	}
	name, _, _ := strings.Cut(image, ":")
	return name
}

// Validation of these settings, called from Config.Validate.

// imagePattern is the Docker image reference grammar (distribution/reference):
// an optional registry host[:port], a lowercase repository path, then an
// optional :tag and an optional @digest.
var imagePattern = lazyregexp.New(`^` +
	`(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?` +
	`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*` +
	imageTagAndDigest + `$`)

// imageTagAndDigest is the optional :tag and @digest of an image reference.
const imageTagAndDigest = `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
	`(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?`

func (v *validator) image(image string) {
	switch {
	case image == "":
		v.add(KeyImage, "must not be empty: give an image reference such as nginx:1.27 or 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1")
	case len(image) > maxImageLength:
		v.add(KeyImage, "is %d characters long: allowed up to %d", len(image), maxImageLength)
	case !imagePattern.MatchString(image):
		v.add(KeyImage, "%q is not a valid image reference: expected [registry/]repository[:tag][@digest] with a lowercase repository, e.g. nginx:1.27", image)
	}
}
