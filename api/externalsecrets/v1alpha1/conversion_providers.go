package v1alpha1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The providers below have no conversion of their own. Their v1alpha1 and v1 forms name and
// shape each field alike and v1 only adds fields, none with a default, so each converts
// through JSON and the section keeps what v1alpha1 cannot hold.
var (
	akeylessSection      = lossless.SameShape[*esv1.AkeylessProvider, *AkeylessProvider]("spec.provider.akeyless")
	oracleSection        = lossless.SameShape[*esv1.OracleProvider, *OracleProvider]("spec.provider.oracle")
	ibmSection           = lossless.SameShape[*esv1.IBMProvider, *IBMProvider]("spec.provider.ibm")
	yandexLockboxSection = lossless.SameShape[*esv1.YandexLockboxProvider, *YandexLockboxProvider]("spec.provider.yandexlockbox")
	gitlabSection        = lossless.SameShape[*esv1.GitlabProvider, *GitlabProvider]("spec.provider.gitlab")
	passwordDepotSection = lossless.SameShape[*esv1.PasswordDepotProvider, *PasswordDepotProvider]("spec.provider.passworddepot")
)

// alibabaField keeps the alibaba provider, which ESO dropped before v1: the v1 object holds
// it in the conversion annotation only.
var alibabaField = lossless.SpokeField[*AlibabaProvider]{Name: "spec.provider.alibaba"}
