"""The canary student: values distinctive enough that any clear occurrence is a leak."""

CANARY = {
    "name": "金丝雀测试生",
    "gender": "女",
    "birth_date": "2014-05-06",
    "address": "浙江省杭州市金丝雀路九十九号",
    "id_number": "33010620140506992X",
    "guardian_name": "金丝雀家长",
    "guardian_phone": "13912398765",
    "health_notes": "对金丝雀羽毛过敏",
}
