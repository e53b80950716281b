"""The backup archive: one tar file (docs/backup-and-restore.md).

    database.pgdump | database.sqlite3   the database (pg_dump's custom format, or a SQLite file)
    files/<name>                         every stored file a row of the dump names, under its storage name
    manifest.json                        last: what made the archive, what it holds, and the
                                         size and SHA-256 of every other member

The archive is written under PATH.partial and renamed when complete, so a
backup that was cut off never looks like one. Reading checks everything
before anything is written anywhere: every member against the manifest
(none missing, none extra, sizes and checksums), and a truncated or
corrupted file is refused with a sentence that says so.
"""

import hashlib
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FORMAT = "chat-backup"
# Raised when an archive's layout or manifest changes; restore refuses newer ones.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
CHUNK = 1024 * 1024
# A manifest is a few hundred bytes per stored file; anything far larger is not one.
MAX_MANIFEST_BYTES = 512 * 1024 * 1024


class BadArchive(Exception):
    """An archive restore must not load; the message says why, for people."""


class HashingReader:
    """A file object's bytes, hashed as they are read."""

    def __init__(self, fileobj):
        self.fileobj = fileobj
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.fileobj.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    def __init__(self, path):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        # Readable by its owner only: it holds every message and password hash.
        # Both stay open across add() calls; finish() or abandon() closes them.
        self.file = open(os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")  # noqa: SIM115
        self.tar = tarfile.open(fileobj=self.file, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.members = {}

    def add(self, name, fileobj, size, mtime=0):
        """Add `size` bytes of `fileobj` as member `name`; returns the bytes written."""
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, mtime, 0o600
        reader = HashingReader(fileobj)
        self.tar.addfile(info, reader)
        self.members[name] = {"size": size, "sha256": reader.sha256.hexdigest()}
        return size

    def add_path(self, name, path):
        with open(path, "rb") as fileobj:
            return self.add(name, fileobj, os.fstat(fileobj.fileno()).st_size, int(os.path.getmtime(path)))

    def finish(self, manifest):
        """Write the manifest (with every member's checksum), then make the archive appear."""
        body = json.dumps({**manifest, "members": self.members}, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        self.tar.addfile(info, _BytesReader(body))
        self.tar.close()
        self.file.close()
        os.replace(self.partial, self.path)

    def abandon(self):
        self.tar.close()
        self.file.close()
        self.partial.unlink(missing_ok=True)


class _BytesReader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def read(self, size=-1):
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset : end], min(end, len(self.data))
        return chunk


def file_member(name):
    return FILES + name


def safe_name(name):
    """A member or storage name that stays where it is put: relative, no '..'."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


@dataclass
class Verified:
    manifest: dict
    database: Path  # the database member, copied out to the staging directory


def verify(path, staging_dir, database_members, progress=None):
    """Read the whole archive once, checking every member against the
    manifest; the database member is copied to `staging_dir` on the way.
    Raises BadArchive for anything but a complete, intact archive."""
    found, manifest_body, database = {}, None, None
    try:
        with tarfile.open(path, "r:") as tar:
            for info in tar:
                if not info.isfile() or not safe_name(info.name) or info.name in found:
                    raise BadArchive(f"it holds {info.name!r}, which no backup archive holds.")
                source = tar.extractfile(info)
                if info.name == MANIFEST:
                    if info.size > MAX_MANIFEST_BYTES:
                        raise BadArchive("its manifest is far too large to be one.")
                    manifest_body = source.read()
                    found[info.name] = None
                    continue
                reader = HashingReader(source)
                if info.name in database_members:
                    database = Path(staging_dir) / info.name
                    with open(database, "wb") as out:
                        while chunk := reader.read(CHUNK):
                            out.write(chunk)
                            if progress:
                                progress.advance(len(chunk))
                else:
                    while chunk := reader.read(CHUNK):
                        if progress:
                            progress.advance(len(chunk))
                if reader.size != info.size:
                    raise BadArchive(f"it ends in the middle of {info.name}: the file is truncated.")
                found[info.name] = {"size": reader.size, "sha256": reader.sha256.hexdigest()}
    except (tarfile.TarError, EOFError) as error:
        raise BadArchive(f"it is truncated or is not a tar file ({error}).") from None
    except OSError as error:
        raise BadArchive(f"it cannot be read ({error}).") from None
    if manifest_body is None:
        raise BadArchive("it has no manifest.json: it is truncated, or was not made by manage.py backup.")
    try:
        manifest = json.loads(manifest_body)
    except ValueError:
        raise BadArchive("its manifest.json is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadArchive("its manifest.json does not describe a chat backup.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BadArchive(
            f"it is in format version {version!r}, newer than this version of the chat reads "
            f"({FORMAT_VERSION}): upgrade the chat first."
        )
    members = manifest.get("members")
    if not isinstance(members, dict):
        raise BadArchive("its manifest lists no members.")
    found.pop(MANIFEST)
    for name, expected in members.items():
        actual = found.get(name)
        if actual is None:
            raise BadArchive(f"{name} is listed in its manifest but missing: the archive is incomplete.")
        if not isinstance(expected, dict) or actual != {"size": expected.get("size"), "sha256": expected.get("sha256")}:
            raise BadArchive(f"{name} does not match its checksum in the manifest: the archive is corrupted.")
    extra = sorted(set(found) - set(members))
    if extra:
        raise BadArchive(f"it holds {extra[0]}, which its manifest does not list.")
    if database is None or database.name != manifest.get("database", {}).get("member"):
        raise BadArchive("it holds no database dump.")
    return Verified(manifest, database)


def stored_files(path):
    """(storage name, file object, size) of each stored file in the archive, in order."""
    with tarfile.open(path, "r:") as tar:
        for info in tar:
            if info.name.startswith(FILES):
                yield info.name[len(FILES) :], tar.extractfile(info), info.size
