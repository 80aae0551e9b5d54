package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
)

// privateECRImage is an image of a private ECR registry:
// ACCOUNT.dkr.ecr(-fips).REGION.amazonaws.com(.cn)/REPOSITORY[:TAG][@DIGEST].
var privateECRImage = lazyregexp.New(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?(?:@(sha256:[a-f0-9]{64}))?$`)

// checkImage checks that an ECR image of the caller's account, in the
// stack's region, is in its repository: ECS would stop every task with
// CannotPullContainerError ("not found") minutes into the deploy. Other
// images are not checked: another registry, or another account's
// repository, may not let these credentials look.
func checkImage(ctx context.Context, api ECRAPI, r Request, rep *Report) {
	m := privateECRImage.FindStringSubmatch(r.Image)
	if m == nil || m[1] != r.Account || m[2] != r.Region {
		return
	}
	repository, tag, digest := m[3], m[4], m[5]
	id := ecrtypes.ImageIdentifier{}
	what := "tag " + tag
	switch {
	case digest != "":
		id.ImageDigest, what = aws.String(digest), "digest "+digest
	case tag == "":
		// Without a tag or digest, the registry serves latest.
		tag, what = "latest", "tag latest (the image names no tag)"
		fallthrough
	default:
		id.ImageTag = aws.String(tag)
	}
	_, err := api.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId:     aws.String(m[1]),
		RepositoryName: aws.String(repository),
		ImageIds:       []ecrtypes.ImageIdentifier{id},
	})
	switch {
	case isCode(err, "RepositoryNotFoundException"):
		rep.problem(FieldImage, nil, "ECR repository %s does not exist in account %s in %s: create it and push the image first", repository, m[1], m[2])
	case isCode(err, "ImageNotFoundException") && digest != "":
		rep.problem(FieldImage, nil, "%s is not in ECR repository %s: give an image that is there (aws ecr describe-images --repository-name %s lists them)", what, repository, repository)
	case isCode(err, "ImageNotFoundException"):
		rep.problem(FieldImage, nil, "%s is not in ECR repository %s: push the image first (docker push %s)", what, repository, r.Image)
	case err != nil:
		rep.unread("the image "+r.Image, err)
	}
}
