// External tools and file helpers for the tessel commands.
#include "db/Process.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/select.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace tessel {

std::string signalText(int sig) {
  const char *name = strsignal(sig);
  return "killed by signal " + std::to_string(sig) + " (" +
         (name ? name : "?") + ")";
}

std::string diagnosticHead(const std::string &text, int maxLines) {
  std::istringstream in(text);
  std::string line, head;
  int kept = 0, left = 0;
  bool stop = false;
  while (std::getline(in, line)) {
    stop = stop || line.find("see current operation") != std::string::npos ||
           line.find("Stack dump") != std::string::npos ||
           line.find("PLEASE submit a bug report") != std::string::npos;
    if (stop || kept >= maxLines) {
      left += !line.empty();
      continue;
    }
    // A source line quoted by a diagnostic can be a whole model on one line.
    constexpr size_t kMaxWidth = 300;
    head +=
        (line.size() > kMaxWidth ? line.substr(0, kMaxWidth) + " ..." : line) +
        "\n";
    ++kept;
  }
  if (left > 0 && kept > 0)
    head += "(" + std::to_string(left) + " more lines: run with --verbose)\n";
  return head;
}

std::string crashOrigin(const std::string &stderrText) {
  bool stack = false, ours = false;
  std::istringstream in(stderrText);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(" #", 0) == 0) {
      stack = true;
      ours |= line.find("tessel::") != std::string::npos;
    }
  if (!stack)
    return " (it printed no stack: --verbose shows what it printed)";
  return ours ? " in tessel's code (a tessel bug: --verbose shows the stack)"
              : " in MLIR's or LLVM's own code, not tessel's (an upstream bug "
                "on this input: --verbose shows the stack)";
}

Status runTool(const std::vector<std::string> &argv, const std::string &cwd,
               const std::string &outFile, const std::string &errFile) {
  pid_t pid = fork();
  if (pid < 0)
    return makeError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0)
      _exit(127);
    if (!outFile.empty()) {
      int fd = open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, 1) < 0)
        _exit(127);
    }
    if (!errFile.empty()) {
      int fd = open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, 2) < 0)
        _exit(127);
    }
    std::vector<char *> args;
    for (const auto &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "tessel: error: cannot run %s: %s\n", args[0],
                 std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string tool = fs::path(argv[0]).filename().string();
  if (WIFSIGNALED(status))
    return makeError(tool + " crashed (" + signalText(WTERMSIG(status)) + ")");
  if (WEXITSTATUS(status) != 0)
    return makeError(tool + " failed (exit status " +
                     std::to_string(WEXITSTATUS(status)) + ")");
  return Status::ok();
}

Result<ShellResult> runShell(const std::string &command, const std::string &cwd,
                             double timeoutSec) {
  int outPipe[2], errPipe[2];
  if (pipe(outPipe) != 0 || pipe(errPipe) != 0)
    return makeError(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0)
    return makeError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(outPipe[1], 1);
    dup2(errPipe[1], 2);
    close(outPipe[0]);
    close(errPipe[0]);
    if (chdir(cwd.c_str()) != 0)
      _exit(127);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  close(outPipe[1]);
  close(errPipe[1]);
  ShellResult r;
  auto start = std::chrono::steady_clock::now();
  int fds[2] = {outPipe[0], errPipe[0]};
  std::string *bufs[2] = {&r.out, &r.err};
  bool open[2] = {true, true};
  while (open[0] || open[1]) {
    fd_set set;
    FD_ZERO(&set);
    int maxFd = -1;
    for (int i = 0; i < 2; ++i)
      if (open[i]) {
        FD_SET(fds[i], &set);
        maxFd = std::max(maxFd, fds[i]);
      }
    struct timeval tv {0, 200000};
    int n = select(maxFd + 1, &set, nullptr, nullptr, &tv);
    if (n < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2 && n > 0; ++i)
      if (open[i] && FD_ISSET(fds[i], &set)) {
        char buf[65536];
        ssize_t got = read(fds[i], buf, sizeof buf);
        if (got <= 0)
          open[i] = false;
        else
          bufs[i]->append(buf, static_cast<size_t>(got));
      }
    double elapsed = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start).count();
    if (timeoutSec > 0 && elapsed > timeoutSec && !r.timedOut) {
      r.timedOut = true;
      kill(-pid, SIGKILL);
    }
  }
  close(fds[0]);
  close(fds[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    r.signal = WTERMSIG(status);
  else
    r.exitStatus = WEXITSTATUS(status);
  kill(-pid, SIGKILL); // anything the command left behind
  return r;
}

std::string shellQuote(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string selfDir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

std::string llvmTool(const std::string &name) {
  std::string p = "/usr/lib/llvm-19/bin/" + name;
  if (access(p.c_str(), X_OK) == 0)
    return p;
  return name + "-19";
}

namespace {
bool onPath(const std::string &tool) {
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin");
  std::string d;
  while (std::getline(dirs, d, ':'))
    if (!d.empty() && access((d + "/" + tool).c_str(), X_OK) == 0)
      return true;
  return false;
}
} // namespace

std::string hostArch() {
  struct utsname u {};
  uname(&u);
  return u.machine;
}

Result<std::string> cCompilerFor(const std::string &arch) {
  std::string host = hostArch();
  if (host == arch)
    return std::string("cc");
  if (arch == "aarch64") {
    if (onPath("aarch64-linux-gnu-gcc"))
      return std::string("aarch64-linux-gnu-gcc");
    return makeError("building aarch64 code on " + host +
                     " needs aarch64-linux-gnu-gcc (Debian package "
                     "gcc-aarch64-linux-gnu; tools/deps.sh installs it)");
  }
  if (arch == "x86_64" && onPath("x86_64-linux-gnu-gcc"))
    return std::string("x86_64-linux-gnu-gcc");
  return makeError("no C compiler for " + arch + " on " + host);
}

Result<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::string> makeScratchDir(const std::string &prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data()))
    return makeError(std::string("cannot create a scratch directory: ") +
                     std::strerror(errno));
  return tmpl;
}

} // namespace tessel
