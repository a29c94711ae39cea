package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// unitPath is the shipped systemd unit.
var unitPath = filepath.Join(deployDir, "fazhi.service")

// unitExecStart is the binary the shipped unit runs.
const unitExecStart = "/usr/local/bin/fazhi"

// serviceSection reads the [Service] section of the shipped unit as key
// → values, in order.
func serviceSection(t *testing.T) (keys []string, values map[string][]string) {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values = map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: %q is not key=value", unitPath, n, line)
			}
			if _, seen := values[k]; !seen {
				keys = append(keys, k)
			}
			values[k] = append(values[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, values
}

// TestDeploySystemdVerify: systemd-analyze verify accepts the shipped
// unit, with no warning, its ExecStart pointed at a built binary.
func TestDeploySystemdVerify(t *testing.T) {
	skipShort(t)
	analyze := needTool(t, "systemd-analyze", "systemd")
	bin := buildBinary(t)
	raw, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := replaceOnce(t, unitPath, string(raw), "ExecStart="+unitExecStart+" ", "ExecStart="+bin+" ")
	path := filepath.Join(t.TempDir(), "fazhi.service")
	writeFile(t, path, []byte(unit))
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
	}
	if out, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput(); err == nil {
		t.Logf("systemd-analyze security: %s", strings.TrimSpace(lastLine(string(out))))
	}
}

// sandboxOptions are the [Service] options the sandbox test emulates,
// with the value it emulates. An option of the unit that is neither
// here nor in unitPlainOptions fails the test: the unit ships only what
// the program is tested under.
var sandboxOptions = map[string]string{
	"DynamicUser":           "yes",    // an unprivileged uid with no passwd entry
	"StateDirectory":        "fazhi",  // /var/lib/fazhi, the only place it may write
	"StateDirectoryMode":    "0700",   // the mode of that directory
	"UMask":                 "0077",   // files only its user reads
	"ProtectSystem":         "strict", // everything else read-only
	"ProtectHome":           "yes",    // /home, /root empty and read-only
	"PrivateTmp":            "yes",    // a /tmp and /var/tmp of its own
	"PrivateDevices":        "yes",    // a /dev of the pseudo-devices only
	"ProtectKernelTunables": "yes",    // /proc/sys and /sys read-only
	"ProtectControlGroups":  "yes",    // /sys/fs/cgroup read-only
	"NoNewPrivileges":       "yes",    // no_new_privs
	"CapabilityBoundingSet": "",       // no capabilities
	"WorkingDirectory":      "/var/lib/fazhi",
}

// unitPlainOptions are the [Service] options that do not restrict the
// program; the test reads ExecStart, Environment and EnvironmentFile.
var unitPlainOptions = map[string]bool{
	"Type": true, "ExecStart": true, "Environment": true, "EnvironmentFile": true,
	"Restart": true, "RestartSec": true, "TimeoutStopSec": true,
}

// sandboxScript builds the sandbox in a new mount namespace (run by
// `unshare --mount --propagation private`) and execs the service's
// command as the service's user. Arguments: the fazhi binary, the state
// directory, the uid, then the environment and command for env -i.
const sandboxScript = `set -eu
bin=$1 state=$2 uid=$3
shift 3
# StateDirectory=fazhi, owned by the service's user
mount -t tmpfs -o mode=755 tmpfs /var/lib
mkdir /var/lib/fazhi
mount --bind "$state" /var/lib/fazhi
# the binary ExecStart names
mount -t tmpfs -o mode=755 tmpfs /usr/local/bin
touch /usr/local/bin/fazhi
mount --bind "$bin" /usr/local/bin/fazhi
# PrivateTmp=yes
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
# PrivateDevices=yes: null, zero, full, random, urandom, tty only
mkdir /tmp/.dev
mount -t tmpfs -o mode=755,nosuid,noexec tmpfs /tmp/.dev
for d in null zero full random urandom tty; do
  touch /tmp/.dev/$d
  mount --bind /dev/$d /tmp/.dev/$d
done
mkdir /tmp/.dev/shm
ln -s /proc/self/fd /tmp/.dev/fd
mount --move /tmp/.dev /dev
rmdir /tmp/.dev
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
# ProtectHome=yes
for d in /home /root /run/user; do
  if [ -d "$d" ]; then mount -t tmpfs -o ro,mode=755 tmpfs "$d"; fi
done
# ProtectSystem=strict
mount -o remount,bind,ro /
# ProtectKernelTunables=yes, ProtectControlGroups=yes
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
for m in $(awk '$2 ~ "^/sys" {print $2}' /proc/self/mounts); do
  mount -o remount,bind,ro "$m"
done
# UMask=0077, WorkingDirectory=/var/lib/fazhi; DynamicUser=yes,
# NoNewPrivileges=yes, CapabilityBoundingSet= (empty)
umask 0077
cd /var/lib/fazhi
exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all env -i "$@"
`

// TestDeploySandbox runs `fazhi serve` as the shipped unit would: its
// command and environment (a test environment file in place of the
// secrets), under an emulation of each of its sandboxing options. The
// server answers, accepts an upload into its state directory, and its
// files there are its own and private; the test checks the sandbox from
// the process's own mount table and status.
func TestDeploySandbox(t *testing.T) {
	skipShort(t)
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the sandbox test needs root (CI runs as root)")
		}
		t.Skip("the sandbox test needs root to build mount namespaces; CI runs it")
	}
	unshare := needTool(t, "unshare", "util-linux")
	needTool(t, "setpriv", "util-linux")
	bin := buildBinary(t)

	keys, values := serviceSection(t)
	var env []string
	var command []string
	for _, k := range keys {
		vs := values[k]
		if want, ok := sandboxOptions[k]; ok {
			if len(vs) != 1 || vs[0] != want {
				t.Errorf("%s: %s=%q, but the sandbox test emulates %s=%s: change the test with the unit", unitPath, k, vs, k, want)
			}
			continue
		}
		if !unitPlainOptions[k] {
			t.Errorf("%s sets %s=, which the sandbox test does not emulate: the unit ships only options the program is tested under", unitPath, k)
			continue
		}
		switch k {
		case "Environment":
			env = append(env, vs...)
		case "ExecStart":
			command = strings.Fields(vs[0])
		}
	}
	for k, want := range sandboxOptions {
		if _, ok := values[k]; !ok {
			t.Errorf("%s lacks %s=%s, which the sandbox test emulates", unitPath, k, want)
		}
	}
	if len(command) == 0 || command[0] != unitExecStart {
		t.Fatalf("%s: ExecStart=%v, want %s …", unitPath, command, unitExecStart)
	}
	if t.Failed() {
		t.FailNow()
	}
	// What systemd gives every service, then Environment=, then the
	// environment file (which wins): here a test one.
	env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "USER=fazhi", "LOGNAME=fazhi"}, env...)
	env = append(env, "FAZHI_ADDR=127.0.0.1:0", "FAZHI_ADMIN_TOKEN=sandbox-admin-token")

	const uid = 61917 // DynamicUser picks one of 61184–65519
	state := t.TempDir()
	if err := os.Chown(state, uid, uid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o700); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", sandboxScript, "sh", bin, state, strconv.Itoa(uid)}, env...)
	cmd := exec.Command(unshare, append(args, command...)...)
	cmd.Env = childEnv()
	s := launchCmd(t, cmd)
	s.waitListening(t)
	s.waitReports(t, 5, startBound)
	pid := s.cmd.Process.Pid // the shell and setpriv exec, so it is fazhi's

	t.Run("answers", func(t *testing.T) {
		a := s.ask(t, seedDisputesQuestion)
		if !a.Found || !strings.Contains(a.Answer, seedDisputesFigure) {
			t.Errorf("ask %q in the sandbox: got %q, want %s", seedDisputesQuestion, a.Answer, seedDisputesFigure)
		}
		const short, figure = "沙盒", 641
		if status, body := s.upload(t, "Bearer sandbox-admin-token", "shahe.txt", townReport(t, short, figure)); status != http.StatusCreated {
			t.Fatalf("upload in the sandbox: status %d: %s", status, body)
		}
		if a := s.ask(t, disputesQuestion(short)); !strings.Contains(a.Answer, strconv.Itoa(figure)) {
			t.Errorf("ask after the upload in the sandbox: got %q, want %d", a.Answer, figure)
		}
	})

	t.Run("state directory", func(t *testing.T) {
		n := 0
		filepath.Walk(state, func(path string, fi os.FileInfo, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			if path == state {
				return nil
			}
			n++
			st := fi.Sys().(*syscall.Stat_t)
			if st.Uid != uid || fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: owner %d mode %v, want the service's user %d and no access for others (UMask=0077)", path, st.Uid, fi.Mode().Perm(), uid)
			}
			return nil
		})
		if n == 0 {
			t.Error("the server wrote nothing into its state directory")
		}
	})

	t.Run("the process is sandboxed", func(t *testing.T) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", uid, uid, uid, uid),
			"CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1",
		} {
			if !strings.Contains(string(status), want) {
				t.Errorf("/proc/%d/status lacks %q:\n%s", pid, want, status)
			}
		}
		mounts := processMounts(t, pid)
		for _, c := range []struct {
			point, fstype string
			ro            bool
		}{
			{"/", "", true},
			{"/tmp", "tmpfs", false},
			{"/var/tmp", "tmpfs", false},
			{"/dev", "tmpfs", false},
			{"/var/lib/fazhi", "", false},
			{"/proc/sys", "", true},
			{"/sys", "", true},
		} {
			m, ok := mounts[c.point]
			switch {
			case !ok:
				t.Errorf("the sandbox has no mount on %s", c.point)
			case c.fstype != "" && m.fstype != c.fstype:
				t.Errorf("%s is %s, want %s", c.point, m.fstype, c.fstype)
			case m.ro != c.ro:
				t.Errorf("%s read-only: %v, want %v", c.point, m.ro, c.ro)
			}
		}
		if _, err := os.Stat("/home"); err == nil {
			if m, ok := mounts["/home"]; !ok || m.fstype != "tmpfs" || !m.ro {
				t.Errorf("/home in the sandbox: %+v, want an empty read-only tmpfs (ProtectHome=yes)", m)
			}
		}
	})
}

// mount is one line of a mount table.
type mount struct {
	fstype string
	ro     bool
}

// processMounts reads the mount table of process pid: mount point → the
// topmost mount there.
func processMounts(t *testing.T, pid int) map[string]mount {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]mount{}
	for line := range strings.Lines(string(data)) {
		// id parent major:minor root point options [optional…] - fstype source super-options
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 6 || len(g) < 1 {
			continue
		}
		ro := false
		for _, o := range strings.Split(f[5], ",") {
			ro = ro || o == "ro"
		}
		out[f[4]] = mount{fstype: g[0], ro: ro}
	}
	return out
}
