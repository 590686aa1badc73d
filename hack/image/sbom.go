package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
)

// The SBOM is an SPDX 2.3 JSON document made from the module list the go command writes into
// the binary (the same list `go version -m` prints), so it names exactly what was linked.

type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name             string         `json:"name"`
	SPDXID           string         `json:"SPDXID"`
	VersionInfo      string         `json:"versionInfo"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
	Comment          string         `json:"comment,omitempty"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

// spdxDocument describes the binary at bin: the ferry module (with the binary's SHA-256), the
// Go standard library, and every module linked in.
func spdxDocument(bin string, o options, p platform, created time.Time) ([]byte, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("reading the module list of %s: %w", bin, err)
	}
	sum, err := fileSHA256(bin)
	if err != nil {
		return nil, err
	}
	mainID := "SPDXRef-Package-ferry"
	doc := spdxDoc{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              fmt.Sprintf("ferry-%s-%s-%s", o.Version, p.OS, p.Arch),
		DocumentNamespace: fmt.Sprintf("%s/sbom/%s/%s-%s/%s", o.Source, o.Version, p.OS, p.Arch, sum),
		CreationInfo:      spdxCreation{Created: created.UTC().Format(time.RFC3339), Creators: []string{"Tool: ferry-hack-image"}},
		Packages: []spdxPackage{
			pkg(mainID, info.Main.Path, o.Version, "the ferry binary at /"+binaryPath+" ("+p.String()+"), commit "+o.Commit),
			pkg("SPDXRef-Package-stdlib", "stdlib", info.GoVersion, "the Go standard library and runtime"),
		},
		Relationships: []spdxRelationship{{"SPDXRef-DOCUMENT", "DESCRIBES", mainID},
			{mainID, "DEPENDS_ON", "SPDXRef-Package-stdlib"}},
	}
	doc.Packages[0].DownloadLocation = o.Source
	doc.Packages[0].Checksums = []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: sum}}
	for _, dep := range info.Deps {
		if dep.Replace != nil {
			dep = dep.Replace
		}
		id := "SPDXRef-Package-" + spdxIDUnsafe.ReplaceAllString(dep.Path+"-"+dep.Version, "-")
		doc.Packages = append(doc.Packages, pkg(id, dep.Path, dep.Version, ""))
		doc.Relationships = append(doc.Relationships, spdxRelationship{mainID, "DEPENDS_ON", id})
	}
	return json.MarshalIndent(doc, "", "  ")
}

func pkg(id, path, version, comment string) spdxPackage {
	purl := "pkg:golang/" + path + "@" + version
	return spdxPackage{Name: path, SPDXID: id, VersionInfo: version, DownloadLocation: "NOASSERTION",
		LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION", Comment: comment,
		ExternalRefs: []spdxRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: purl}}}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
