#!/usr/bin/perl
# Every external command that `make test` runs must be on a fresh Debian 12 machine once
# scripts/setup.sh has run: in Debian's base system (a package of priority "required", what
# debootstrap installs), in a package setup.sh installs, or brought by setup's other steps (Rust
# through rustup, cargo tools, npm packages). A command that is only here because this machine
# happens to have its package fails now, in seconds, naming the package, and not half an hour
# into the build.
#
# The commands are read from the sources that run them: the Makefile's recipes, .ci/run, the
# shell scripts (the first word of each command, and the command a wrapper such as xvfb-run or
# dbus-run-session starts), Command::new("…") and tool("…") in the Rust tests, and spawn("…"),
# execFile("…") and run("…") in the JavaScript tests. Each is resolved on PATH and to its Debian
# package with dpkg -S.
#
#   scripts/check-commands.pl          # after scripts/setup.sh test (make test runs it so)
use strict;
use warnings;
use File::Find;
use Cwd qw(abs_path);

chdir(abs_path(__FILE__) =~ s{/scripts/[^/]+$}{}r) or die "[commands] cannot find the checkout\n";

# What setup.sh installs, from setup.sh itself, with what apt installs with it: each package's
# Depends and Pre-Depends, the first of each set of alternatives, as installed here.
# (CHECK_SETUP_LIST names a file to read the list from instead: tests/setup_commands.rs.)
my @listed = split ' ', $ENV{CHECK_SETUP_LIST} ? `cat \Q$ENV{CHECK_SETUP_LIST}\E` : `scripts/setup.sh packages test`;
die "[commands] scripts/setup.sh packages test listed nothing\n" unless @listed;
my %setup_packages = dependency_closure(@listed);

# What a newcomer has before the first `make`: the README's prerequisites.
my %prerequisites = (
    'make' => 'the README asks for it, with git and Rust',
    'git'  => 'the README asks for it (the checkout came with it)',
    'sudo' => 'setup.sh uses it only when not root, and says so when it is missing',
);
# Brought by setup's other steps, or by the Rust toolchain it requires.
my %not_debian = (
    'cargo'        => 'the Rust toolchain (rustup), which setup.sh requires',
    'rustc'        => 'the Rust toolchain (rustup)',
    'rustup'       => 'the Rust toolchain (rustup)',
    'tauri-driver' => 'cargo install, in setup.sh',
);
# Started by another program, so no source names them as a command: each with who starts it.
my %indirect = (
    'WebKitWebDriver' => 'tauri-driver (scripts/desktop-e2e.sh)',
    'xauth'           => 'xvfb-run',
    'sway'            => 'tests/wayland/portal-stack.sh (swaycmd)',
    '/usr/libexec/xdg-desktop-portal'     => 'tests/wayland/portal-stack.sh',
    '/usr/libexec/xdg-desktop-portal-wlr' => 'tests/wayland/portal-stack.sh (xdpwcmd)',
    '/usr/libexec/xdg-permission-store'   => 'tests/wayland/portal-stack.sh',
);
use_cmd($_, $indirect{$_}) for keys %indirect;
# Words the reader takes for commands that are none: each with the reason.
my %not_commands = (
    'cargo-fuzz' => 'make fuzz installs it; make test does not run it',
    'espeak-ng'  => 'scripts/bench-audio.sh installs it (apt) before it speaks; make test does not run it',
);

# --- reading the sources ------------------------------------------------------------------------
my %used;    # command => first place it is used
my %defined; # shell functions any scanned file defines (a sourced file's serve its sourcer)
sub use_cmd { my ($cmd, $where) = @_; $used{$cmd} //= $where; }

my @shell = ('Makefile', '.ci/run');
my (@rust, @js);
find(
    {   no_chdir => 1,
        wanted   => sub {
            if (-d $_ && m{/(node_modules|target|data|\.git)$}) { $File::Find::prune = 1; return; }
            push @shell, $_ if /\.sh$/;
            push @rust,  $_ if /\.rs$/;
            push @js,    $_ if /\.m?js$/;
        }
    },
    grep { -d } qw(scripts tests ui/tests src-tauri/tests src/bench)
);
push @rust, 'build.rs';

# The words that start a command in a shell line, and those after which a command follows.
my %keywords = map { $_ => 1 } qw(if then else elif fi do done while until for in case esac function select time ! { } [[ ]]);
my %wrappers = map { $_ => 1 } qw(exec command sudo env nice nohup xargs timeout xvfb-run dbus-run-session);

for my $file (@shell) {
    open(my $fh, '<', $file) or die "[commands] $file: $!\n";
    my $text = do { local $/; <$fh> };
    my $is_make = $file eq 'Makefile';
    if ($is_make) {
        # Only recipes run commands; make's own $(…) is expanded by make, $$ is the shell's $.
        $text = join '', map { /^\t[@-]*(.*\n?)/ ? $1 : "\n" } split /^/, $text;
        $text =~ s/\$\(CARGO\)/cargo/g;
        $text =~ s/\$\$/\x01/g;
        1 while $text =~ s/\$\([^()]*\)/M/g;
        $text =~ s/\x01/\$/g;
    }
    # Heredocs hold data, comments hold words: both go, with their lines kept for the numbers.
    $text =~ s/<<-?\s*['"]?(\w+)['"]?([^\n]*\n)(.*?\n)\s*\1\s*\n/ "<<Q$2" . ("\n" x (1 + ($3 =~ tr|\n||))) /gse;
    $text =~ s/^\s*#[^\n]*//gm;
    $text =~ s/(?<=\s)#\s[^\n]*//g;
    # Quoted text is no command (a quote may span lines: an inline script is data here).
    $text =~ s/('[^']*'|"(?:[^"\\]|\\.)*")/ " Q " . ("\n" x ($1 =~ tr|\n||)) /gse;
    $text =~ s/\\\n/ /g;                            # continued lines (their number is the first's)
    $text =~ s/\$\(\([^()]*\)\)/N/g;                # arithmetic
    $text =~ s/\b[\w]+\+?=\([^)]*\)/A/g;            # arrays
    $text =~ s/^\s*[\w|*.-]+\)/ /gm;                # case patterns
    my %functions = map { $_ => 1 } $text =~ /^\s*([\w-]+)\s*\(\)/gm;
    $defined{$_} = 1 for keys %functions;
    # portal-stack.sh's `launch NAME COMMAND…` starts COMMAND.
    use_cmd($1, "$file") while $text =~ /^\s*launch\s+\S+\s+([a-z][\w.+-]*)/gm;
    my $n = 0;
    for my $line (split /\n/, $text) {
        $n++;
        $line =~ s/\b[\w-]+\(\)//g;
        # Split at what starts a new command.
        for my $part (split /;|&&|\|\||\||\$\(|`|\(|\)|\{|\}|&/, $line) {
            my @words = split ' ', $part;
            next if @words && $words[0] =~ /^(for|case|local|declare|export|readonly|unset|read)$/;
            my $after_wrapper = 0;
            while (@words) {
                my $w = shift @words;
                next if $w =~ /^[A-Za-z_]\w*=/;    # VAR=value before a command
                next if $keywords{$w};
                if ($after_wrapper && ($w =~ /^-/ || $w eq 'Q' || $w =~ /^\d/)) { next; }
                last if $w =~ /^[\$"'.\/~-]|^Q$|^\d/;    # a variable, a path, an option, text
                last unless $w =~ /^[a-z][\w.+-]*$/;
                last if $functions{$w};
                use_cmd($w, "$file:$n");
                # `command -v X` asks whether X is there; it does not run it.
                last if $w eq 'command' && @words && $words[0] =~ /^-[vV]$/;
                if ($wrappers{$w}) { $after_wrapper = 1; next; }
                last;
            }
        }
    }
}

for my $file (@rust) {
    open(my $fh, '<', $file) or next;
    my $n = 0;
    while (my $line = <$fh>) {
        $n++;
        next if $line =~ m{^\s*//};
        use_cmd($1, "$file:$n") while $line =~ /(?:Command::new|\btool)\(\s*"([^"\/]+)"\s*\)/g;
        if ($line =~ /for tool in \[([^\]]*)\]/) { use_cmd($_, "$file:$n") for $1 =~ /"([^"]+)"/g; }
    }
}

for my $file (@js) {
    open(my $fh, '<', $file) or next;
    my $n = 0;
    while (my $line = <$fh>) {
        $n++;
        use_cmd($2, "$file:$n") while $line =~ /\b(spawn|spawnSync|execFile|execFileSync|run)\(\s*["']([^"'\/]+)["']/g;
    }
}

# --- judging each -------------------------------------------------------------------------------
delete @used{keys %defined};    # a function from a sourced file is no command to install
my $shell_type = sub { my $c = shift; my $t = `bash -c 'type -t -- "\$1"' _ \Q$c\E 2>/dev/null`; chomp $t; $t };
my (@ok, @bad);
for my $cmd (sort keys %used) {
    my $where = $used{$cmd};
    next if $not_commands{$cmd};
    my $type = $shell_type->($cmd);
    next if $type eq 'builtin' || $type eq 'keyword';
    if ($prerequisites{$cmd}) { push @ok, "$cmd ($prerequisites{$cmd})"; next; }
    if ($not_debian{$cmd}) {
        if (`bash -c 'command -v -- "\$1"' _ \Q$cmd\E`) { push @ok, "$cmd ($not_debian{$cmd})"; }
        else { push @bad, "$cmd ($where) is missing; it comes from $not_debian{$cmd}"; }
        next;
    }
    my $path = `bash -c 'command -v -- "\$1"' _ \Q$cmd\E`;
    chomp $path;
    if ($path eq '') {
        push @bad, "$cmd ($where) is not installed: add the Debian package that provides it to scripts/setup.sh";
        next;
    }
    my $package = package_of($path);
    # A command found first elsewhere (pyenv, /usr/local) may still be Debian's as well.
    ($path, $package) = ("/usr/bin/$cmd", package_of("/usr/bin/$cmd")) if !defined $package && -x "/usr/bin/$cmd";
    if (!defined $package) {
        push @bad, "$cmd ($where) is $path, which no Debian package provides and no setup step installs";
        next;
    }
    my $priority = `dpkg-query -W -f='\${Priority}' \Q$package\E 2>/dev/null`;
    if ($priority eq 'required') { push @ok, "$cmd (base: $package)"; next; }
    if ($setup_packages{$package}) { push @ok, "$cmd ($package)"; next; }
    push @bad, "$cmd ($where) comes from the Debian package $package, which a fresh Debian 12 lacks and "
      . "scripts/setup.sh does not install: add $package to its list";
}

sub dependency_closure {
    my %depends;
    my %provider;    # virtual package => a package here that provides it
    for (split /\n/, `dpkg-query -W -f='\${Package}\t\${Depends}, \${Pre-Depends}\t\${Provides}\n'`) {
        my ($name, $deps, $provides) = split /\t/;
        $depends{$name} = [map { (split /\s*\|\s*/)[0] =~ s/[\s(:].*//r } grep { /\S/ } split /\s*,\s*/, $deps];
        $provider{ s/[\s(].*//r } //= $name for grep { /\S/ } split /\s*,\s*/, $provides // '';
    }
    my %seen;
    my @todo = @_;
    while (defined(my $p = shift @todo)) {
        $p = $provider{$p} if !$depends{$p} && $provider{$p};
        next if $seen{$p}++;
        push @todo, @{ $depends{$p} // [] };
    }
    return %seen;
}

sub package_of {
    my $path = shift;
    my @candidates = ($path, abs_path($path) // $path);
    push @candidates, map { m{^/usr(/s?bin/.*)} ? $1 : "/usr$_" } @candidates;    # merged /usr
    for my $p (@candidates) {
        my $out = `dpkg -S \Q$p\E 2>/dev/null`;
        return $1 if $out =~ /^([^:,\s]+)(?::[\w-]+)?: /m;
    }
    return undef;
}

printf "[commands] %d external commands used by make test: each is in Debian's base or installed by setup.sh\n",
  scalar(@ok) if !@bad;
if (@bad) {
    print STDERR "[commands] FAIL: make test would fail on a fresh Debian 12 machine:\n";
    print STDERR "  - $_\n" for @bad;
    exit 1;
}
print "[commands] $_\n" for grep { $ENV{VERBOSE} } @ok;
