async def test_home_page_renders(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert "Streetshare" in response.text
