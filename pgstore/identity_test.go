package pgstore_test

import (
	"context"
	"testing"

	"fazhi/rag"
)

// TestStoreIdentity: in both stores a report is its source; the same
// content under another source is a duplicate, except a report stored
// under the bare file name of a relative path, which moves to that path.
func TestStoreIdentity(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s := mustOpen(t, be, be.newLoc(t), emb)
			chunks := [][2]string{{"一、主要工作", "全年共排查、调解各类矛盾纠纷368件。"}}
			qs := makeFixture(t, emb, "id-qs", "2020.txt", "青山镇", 2020, chunks, nil)
			bs := makeFixture(t, emb, "id-bs", "白石镇/2020.txt", "白石镇", 2020, chunks, nil)
			put(t, s, qs, rag.StatusNew)
			put(t, s, bs, rag.StatusNew)

			steps := []struct {
				name   string
				id     string
				source string
				want   rag.IngestStatus
			}{
				{"same content, other name", "id-qs", "copy.txt", rag.StatusDuplicate},
				{"same content, a folder's path of another file name", "id-qs", "青山镇/2019.txt", rag.StatusDuplicate},
				{"bare name moves to its relative path", "id-qs", "青山镇/2020.txt", rag.StatusRenamed},
				{"then it is unchanged there", "id-qs", "青山镇/2020.txt", rag.StatusUnchanged},
				{"another folder's same name holds other content", "id-qs", "白石镇/2020.txt", rag.StatusDuplicate},
			}
			for _, st := range steps {
				t.Run(st.name, func(t *testing.T) {
					f := qs
					f.rep.ID, f.rep.Source = st.id, st.source
					put(t, s, f, st.want)
				})
			}
			got, err := s.Reports(ctx)
			if err != nil {
				t.Fatal(err)
			}
			srcs := map[string]string{}
			for _, r := range got {
				srcs[r.Source] = r.ID
			}
			if len(srcs) != 2 || srcs["青山镇/2020.txt"] != "id-qs" || srcs["白石镇/2020.txt"] != "id-bs" {
				t.Errorf("reports: got %v, want 青山镇/2020.txt and 白石镇/2020.txt", srcs)
			}
			if src, ok, err := s.Has(ctx, "id-qs"); err != nil || !ok || src != "青山镇/2020.txt" {
				t.Errorf("Has(id-qs) = %q, %v, %v; want 青山镇/2020.txt", src, ok, err)
			}
		})
	}
}
