"""tests/check-layers.py on copies of src/: the real tree passes, and each kind of offence
(an upward include, a file in no layer, a KNOWN include that is gone) fails it."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCRIPT = os.path.join(ROOT, "tests", "check-layers.py")


def run(root):
    proc = subprocess.run([sys.executable, SCRIPT, "--root", str(root)], capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stdout


def copy_tree(tmp_path):
    shutil.copytree(os.path.join(ROOT, "src"), tmp_path / "src")
    return tmp_path


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def test_the_tree_obeys_the_layers():
    status, out = run(ROOT)
    assert status == 0, out


def test_an_upward_include_from_the_keyspace_fails(tmp_path):
    root = copy_tree(tmp_path)
    append(root / "src" / "keyspace" / "db.c", '#include "core/multi.h"\n')
    status, out = run(root)
    assert status == 1
    assert "src/keyspace/db.c" in out and "includes src/core/multi.h (data -> server)" in out


def test_a_header_of_a_higher_layer_in_a_util_header_fails(tmp_path):
    root = copy_tree(tmp_path)
    append(root / "src" / "util" / "kstr.h", '#include "keyspace/db.h"\n')
    status, out = run(root)
    assert status == 1 and "src/util/kstr.h" in out and "(util -> data)" in out


def test_a_file_in_no_layer_fails(tmp_path):
    root = copy_tree(tmp_path)
    os.makedirs(root / "src" / "nolayer")
    append(root / "src" / "nolayer" / "slots.c", "int slots;\n")
    status, out = run(root)
    assert status == 1 and "src/nolayer/slots.c: in no layer" in out


def test_a_known_include_that_is_gone_must_leave_the_list(tmp_path):
    # KNOWN is empty now; a copy of the script that still lists an include the tree no longer
    # has must fail, so that the list can only shrink.
    root = copy_tree(tmp_path)
    script = tmp_path / "check-layers.py"
    text = open(SCRIPT).read()
    assert "KNOWN = set()" in text
    script.write_text(text.replace("KNOWN = set()", 'KNOWN = {("src/core/multi.c", "src/commands/commands.h")}'))
    proc = subprocess.run([sys.executable, str(script), "--root", str(root)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "src/core/multi.c: no longer includes src/commands/commands.h" in proc.stdout


def test_stats_show_the_cycle_an_upward_include_closes(tmp_path):
    root = copy_tree(tmp_path)
    append(root / "src" / "keyspace" / "db.h", '#include "server.h"\n')
    proc = subprocess.run([sys.executable, SCRIPT, "--root", str(root), "--stats"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    cycles = proc.stdout.split("layer cycles: ")[1].splitlines()
    assert cycles[0] == "1" and "data" in cycles[1].split()
