package testenv

import (
	"encoding/json"
	"strings"
	"testing"
)

// PushImage puts an image with tag into the ECR repository of m's region
// (creating the repository if needed), as a docker push would: the
// deploy's pre-flight refuses an image of the account that is not in its
// repository. It returns the image's URI.
func (m *Moto) PushImage(t testing.TB, repository, tag string) string {
	t.Helper()
	var repo struct {
		Repository struct{ RepositoryUri string }
	}
	body, err := m.do("ecr", "application/x-amz-json-1.1", "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
		[]byte(`{"repositoryName":"`+repository+`"}`))
	switch {
	case err == nil:
		if err := json.Unmarshal(body, &repo); err != nil {
			t.Fatalf("moto ecr CreateRepository: %v\n%s", err, body)
		}
	case strings.Contains(err.Error(), "RepositoryAlreadyExistsException"):
		var found struct {
			Repositories []struct{ RepositoryUri string }
		}
		m.JSON(t, "ecr", "DescribeRepositories", map[string]any{"repositoryNames": []string{repository}}, &found)
		repo.Repository.RepositoryUri = found.Repositories[0].RepositoryUri
	default:
		t.Fatalf("moto ecr CreateRepository: %v", err)
	}
	// A schema 2 manifest with one layer: moto keeps it and answers
	// DescribeImages with its tag and digest.
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},` +
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,"digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]}`
	m.JSON(t, "ecr", "PutImage", map[string]string{"repositoryName": repository, "imageTag": tag, "imageManifest": manifest}, nil)
	return repo.Repository.RepositoryUri + ":" + tag
}

// CreateSecrets creates in moto what each valueFrom names, as an ECS task
// reads it: a Secrets Manager secret (its ARN, maybe with a JSON key after
// it, or secretsmanager:NAME in m's region), an SSM parameter (its ARN),
// or an SSM parameter of m's region (a name). Secrets Manager picks the six characters after a secret's name in
// its ARN itself, so a valueFrom that makes some up names another secret
// than the one created: the map returns, for each such valueFrom, the one
// to use instead.
func (m *Moto) CreateSecrets(t testing.TB, valueFroms ...string) map[string]string {
	t.Helper()
	renamed := map[string]string{}
	for _, v := range valueFroms {
		f := strings.SplitN(v, ":", 7)
		switch {
		case len(f) == 7 && f[2] == "secretsmanager":
			name, rest, _ := strings.Cut(f[6], ":")
			if i := strings.LastIndex(name, "-"); i > 0 && len(name)-i == 7 {
				name = name[:i] // the made-up suffix
			}
			var out struct{ ARN string }
			m.JSONIn(t, f[3], "secretsmanager", "CreateSecret", map[string]string{"Name": name, "SecretString": "test"}, &out)
			if given := strings.Join(f[:6], ":") + ":" + strings.SplitN(f[6], ":", 2)[0]; given != out.ARN {
				if rest != "" {
					renamed[v] = out.ARN + ":" + rest
				} else {
					renamed[v] = out.ARN
				}
			}
		case len(f) >= 6 && f[2] == "ssm":
			name := strings.TrimPrefix(strings.Join(f[5:], ":"), "parameter/")
			if strings.Contains(name, "/") {
				name = "/" + name
			}
			m.JSONIn(t, f[3], "ssm", "PutParameter", map[string]any{"Name": name, "Value": "test", "Type": "SecureString", "Overwrite": true}, nil)
		case strings.HasPrefix(v, "secretsmanager:"):
			name, _, _ := strings.Cut(strings.TrimPrefix(v, "secretsmanager:"), ":")
			if _, err := m.do("secretsmanager", "application/x-amz-json-1.1", "secretsmanager.CreateSecret",
				[]byte(`{"Name":"`+name+`","SecretString":"test"}`)); err != nil && !strings.Contains(err.Error(), "ResourceExistsException") {
				t.Fatalf("moto secretsmanager CreateSecret %s: %v", name, err)
			}
		default:
			m.JSON(t, "ssm", "PutParameter", map[string]any{"Name": v, "Value": "test", "Type": "SecureString", "Overwrite": true}, nil)
		}
	}
	return renamed
}
