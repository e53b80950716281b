"""The S3 path end to end, against a real S3-compatible server: moto's
server mode (moto[server], pinned in requirements/dev.txt), started on
127.0.0.1 by this module. Storage is configured by project/settings.py's
own s3_storage(), as AWS_STORAGE_BUCKET_NAME would configure it."""

import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from conftest import free_port, wait_for_port
from files.models import Attachment
from project.settings import s3_storage
from rooms.models import Message

from .conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = "chat-files"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        assert wait_for_port(port, 10), "moto's S3 server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_server, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            {
                "AWS_STORAGE_BUCKET_NAME": BUCKET,
                "AWS_S3_ENDPOINT_URL": s3_server,
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_S3_ADDRESSING_STYLE": "path",
                **KEYS,
            }
        ),
    }
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers


def test_files_are_stored_in_the_bucket_and_served_by_short_signed_urls(
    bucket, upload, alice, bob, lobby, png, s3_server, media_root
):
    page = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html")
    assert upload(alice, lobby, [png("pic.png"), page], caption="on s3").status_code == 201
    assert len(keys(bucket)) == 3  # the image, its preview, the html file
    assert not media_root.exists()  # nothing on the local disk

    image, html = Attachment.objects.all()
    response = signed_in(bob).get(html.get_absolute_url())
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(s3_server)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"]
    body, headers = fetch(url)
    assert body == b"<script>alert(1)</script>"
    assert headers["Content-Disposition"] == 'attachment; filename="page.html"'
    assert headers["Content-Type"] == "application/octet-stream"

    body, headers = fetch(signed_in(bob).get(image.preview_url)["Location"])
    assert headers["Content-Type"] == "image/png" and body.startswith(b"\x89PNG")


def test_no_signed_url_for_a_reader_who_may_not_read_the_room(bucket, upload, alice, bob, private_room, png):
    upload(alice, private_room, [png()])
    url = Attachment.objects.get().get_absolute_url()
    assert signed_in(alice).get(url).status_code == 302
    assert signed_in(bob).get(url).status_code == 404


def test_objects_are_stored_private(bucket, upload, alice, lobby):
    upload(alice, lobby, [SimpleUploadedFile("a.txt", b"secret")])
    (key,) = keys(bucket)
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert not [grant for grant in grants if grant["Grantee"].get("URI", "").endswith("AllUsers")]


def test_deleting_the_message_deletes_its_objects(bucket, upload, alice, lobby, png):
    upload(alice, lobby, [png()])
    assert len(keys(bucket)) == 2
    Message.objects.get().delete_by(alice)
    assert keys(bucket) == []


def test_images_may_load_from_the_bucket_after_the_redirect():
    from project.settings import s3_origins

    assert s3_origins({}) == []
    assert s3_origins({"AWS_STORAGE_BUCKET_NAME": "b"}) == ["https://*.amazonaws.com"]
    assert s3_origins({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ENDPOINT_URL": "https://minio.example.com:9000"}) == [
        "https://minio.example.com:9000",
        "https://*.minio.example.com:9000",
    ]
