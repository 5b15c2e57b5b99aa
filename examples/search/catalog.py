"""Product search for the shop: Elasticsearch for queries, MongoDB for product documents,
Redis for caches and view counters."""

import json

import redis
from elasticsearch import Elasticsearch, helpers
from flask import Flask, request
from pymongo import MongoClient

app = Flask(__name__)
es = Elasticsearch("http://search:9200")
cache = redis.Redis(host="cache", decode_responses=True)
products = MongoClient("mongodb://db")["shop"]["products"]


@app.get("/search")
def search():
    page = int(request.args.get("page", 0))
    term = request.args.get("q", "")
    result = es.search(
        index="products",
        from_=page * 20,
        size=20,
        query={"wildcard": {"name": {"value": f"*{term}*"}}},
    )
    ids = [hit["_id"] for hit in result["hits"]["hits"]]
    views = [cache.get(f"views:{product_id}") for product_id in ids]
    return {"ids": ids, "views": views}


@app.get("/products/<sku>")
def product(sku):
    cached = cache.get(f"cache:product:{sku}")
    if cached:
        return json.loads(cached)
    doc = products.find_one({"sku": {"$regex": sku}}, {"_id": 0})
    cache.set(f"cache:product:{sku}", json.dumps(doc))
    return doc


@app.get("/products")
def product_list():
    return {"items": list(products.find({"active": True}, {"_id": 0}))}


@app.get("/products/<sku>/seller")
def product_seller(sku):
    pipeline = [
        {"$match": {"sku": sku}},
        {"$lookup": {"from": "sellers", "localField": "seller_id", "foreignField": "_id", "as": "seller"}},
    ]
    return {"items": list(products.aggregate(pipeline))}


@app.post("/products/<sku>/reviews")
def add_review(sku):
    review = request.get_json()
    products.update_one({"sku": sku}, {"$push": {"reviews": review}})
    sessions = redis.Redis(host="sessions")
    sessions.incr(f"reviews:{sku}")
    return {"ok": True}


def reindex(docs):
    helpers.bulk(es, ({"_index": "products", **doc} for doc in docs), refresh=True)


def purge_cache():
    for key in cache.keys("cache:product:*"):
        cache.delete(key)
