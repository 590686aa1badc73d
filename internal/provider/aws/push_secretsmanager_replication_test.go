package aws

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestReplicationChange(t *testing.T) {
	have := func(regions ...string) []smtypes.ReplicationStatusType {
		var out []smtypes.ReplicationStatusType
		for _, r := range regions {
			out = append(out, smtypes.ReplicationStatusType{Region: aws.String(r)})
		}
		return out
	}
	for _, c := range []struct {
		name              string
		want              []string
		have              []smtypes.ReplicationStatusType
		wantAdd, wantRemv []string
	}{
		{"none yet", []string{"eu-central-1", "us-east-1"}, nil, []string{"eu-central-1", "us-east-1"}, nil},
		{"same", []string{"us-east-1", "eu-central-1"}, have("eu-central-1", "us-east-1"), nil, nil},
		{"moved", []string{"us-east-1"}, have("eu-central-1"), []string{"us-east-1"}, []string{"eu-central-1"}},
		{"all removed", []string{}, have("eu-central-1", "us-east-1"), nil, []string{"eu-central-1", "us-east-1"}},
	} {
		add, remove := replicationChange(c.want, c.have)
		if !reflect.DeepEqual(add, c.wantAdd) || !reflect.DeepEqual(remove, c.wantRemv) {
			t.Errorf("%s: add %v, remove %v; want %v, %v", c.name, add, remove, c.wantAdd, c.wantRemv)
		}
	}
}
