"""Reading a Slack-layout zip that someone hands us, as a stream: the
central directory is checked before any member is read, and each member is
read alone, through a bound.

Refused with ArchiveRefused, a sentence saying what and where, before
anything is written:
- not a zip; an encrypted member; two members of one name;
- a member whose name leaves the folder it would be unpacked into
  ("../x", "/etc/x", "C:\\x", a backslash, a NUL), or a symbolic link;
- a zip bomb: a JSON member over MAX_JSON_BYTES or any member over
  MAX_MEMBER_BYTES once uncompressed, all of them over MAX_TOTAL_BYTES, or
  a member of more than RATIO_FLOOR bytes that inflates over MAX_RATIO
  times its compressed size. The sizes checked are the ones the directory
  declares, and zipfile never inflates a member past its declared size (it
  stops there and fails on the checksum), so a member cannot lie its way
  around them (read in chunks: one unbounded read would inflate a whole
  compressed member in memory before cutting it to size);
- no users.json or channels.json;
- a JSON member that does not parse, or is not the list the layout has
  (found when it is read: the import runs in one transaction, which then
  rolls back).

Slack writes member names in UTF-8 without the zip's UTF-8 flag, so
zipfile reads them as cp437: they are read again as UTF-8 (as Zulip's
importer does).
"""

import json
import re
import stat
import zipfile

MAX_JSON_BYTES = 100 * 2**20
MAX_MEMBER_BYTES = 4 * 2**30
MAX_TOTAL_BYTES = 64 * 2**30
MAX_MEMBERS = 2_000_000
MAX_RATIO = 100
RATIO_FLOOR = 2**20

REQUIRED = ("users.json", "channels.json")
# One day of one conversation: "<folder>/YYYY-MM-DD.json".
DAY = re.compile(r"^([^/]+)/(\d{4}-\d{2}-\d{2})\.json$")
# A file the export carries: Mattermost's exporter and slackdump's
# "mattermost" mode write __uploads/<file id>/<name>; slackdump's standard
# mode <folder>/attachments/<file id>-<name>.
UPLOAD = re.compile(r"^__uploads/([A-Za-z0-9]+)/[^/]+$")
ATTACHMENT = re.compile(r"^[^/]+/attachments/([A-Za-z0-9]+)-[^/]+$")


class ArchiveRefused(Exception):
    """The archive is not imported at all; the message says why."""


def _utf8_name(info):
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _check_name(name):
    shown = name.encode("unicode_escape").decode()
    if "\x00" in name or "\\" in name:
        raise ArchiveRefused(f"Refused: the member {shown!r} has a backslash or NUL in its name.")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ArchiveRefused(f"Refused: the member {shown!r} has an absolute path.")
    if ".." in name.split("/"):
        raise ArchiveRefused(f'Refused: the member {shown!r} points outside the archive ("..").')


def _check_size(name, info):
    limit = MAX_JSON_BYTES if name.endswith(".json") else MAX_MEMBER_BYTES
    if info.file_size > limit:
        raise ArchiveRefused(
            f"Refused: {name} would unpack to {info.file_size:,} bytes, more than the {limit:,} allowed for one member."
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ArchiveRefused(
            f"Refused: {name} would unpack to {info.file_size // max(info.compress_size, 1):,} times its compressed "
            f"size (at most {MAX_RATIO} allowed): a zip bomb."
        )


class Archive:
    """An opened, checked export: its members by name (relative to the
    folder that holds users.json), read one at a time."""

    def __init__(self, path):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveRefused(f"Refused: {path} is not a readable zip archive ({error}).") from None
        try:
            self.members = self._checked_members()
        except BaseException:
            self.zip.close()
            raise

    def _checked_members(self):
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveRefused(f"Refused: the archive has {len(infos):,} members, more than {MAX_MEMBERS:,}.")
        members, total = {}, 0
        for info in infos:
            name = _utf8_name(info)
            _check_name(name)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveRefused(f"Refused: the member {name} is a symbolic link.")
            if info.flag_bits & 0x1:
                raise ArchiveRefused(f"Refused: the member {name} is encrypted.")
            if info.is_dir():
                continue
            if name in members:
                raise ArchiveRefused(f"Refused: the archive holds two members named {name}.")
            _check_size(name, info)
            total += info.file_size
            members[name] = info
        if total > MAX_TOTAL_BYTES:
            raise ArchiveRefused(
                f"Refused: the archive would unpack to {total:,} bytes, more than the {MAX_TOTAL_BYTES:,} allowed."
            )
        return self._rooted(members)

    @staticmethod
    def _rooted(members):
        """The members relative to the folder of users.json: the archive's
        top, or the one folder a re-zipped export put everything in."""
        if all(name in members for name in REQUIRED):
            return members
        tops = {name.split("/", 1)[0] for name in members}
        if len(tops) == 1 and "/" in next(iter(members), ""):
            prefix = tops.pop() + "/"
            inner = {name.removeprefix(prefix): info for name, info in members.items() if name.startswith(prefix)}
            if all(name in inner for name in REQUIRED):
                return inner
        missing = " and ".join(name for name in REQUIRED if name not in members)
        raise ArchiveRefused(f"Refused: this is not a Slack export: {missing} is missing.")

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, name):
        return name in self.members

    def size(self, name):
        return self.members[name].file_size

    def open(self, name):
        """A member's bytes as a stream (within its checked, declared size)."""
        return self.zip.open(self.members[name])

    def read(self, name, chunk=2**20):
        """A member's bytes, read a chunk at a time (see the module's docstring)."""
        parts = []
        with self.open(name) as stream:
            while part := stream.read(chunk):
                parts.append(part)
        return b"".join(parts)

    def json_list(self, name, required=False):
        """A member that holds a JSON list, parsed ([] when an optional one is absent)."""
        if name not in self.members:
            if required:
                raise ArchiveRefused(f"Refused: this is not a Slack export: {name} is missing.")
            return []
        try:
            data = json.loads(self.read(name))
        except (ValueError, RecursionError) as error:
            raise ArchiveRefused(f"Refused: {name} is not valid JSON ({error}).") from None
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ArchiveRefused(f"Refused: {name} cannot be read from the archive ({error}).") from None
        if not isinstance(data, list):
            raise ArchiveRefused(f"Refused: {name} should hold a JSON list, not a {type(data).__name__}.")
        return data

    def days(self):
        """{folder: [its daily members, oldest first]}."""
        folders = {}
        for name in self.members:
            if match := DAY.match(name):
                folders.setdefault(match.group(1), []).append(name)
        return {folder: sorted(names) for folder, names in folders.items()}

    def files_by_id(self):
        """{Slack file id: the member holding it}, for the files the export carries."""
        found = {}
        for name in self.members:
            if match := UPLOAD.match(name) or ATTACHMENT.match(name):
                found.setdefault(match.group(1), name)
        return found
